// Loaded before Redoc on /api/redoc/. Redoc's sidebar footer ("API docs by Redocly") gives its
// logo a src on https://cdn.redoc.ly/, which the site's CSP blocks (nothing loads from the
// internet at run time) and the browser reports as a violation. Drop that one src and hide the
// image, whether it is set as an attribute or as the property; everything else goes through.
(function () {
  "use strict";
  const blocked = (value) => String(value).startsWith("https://cdn.redoc.ly/");
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src" && blocked(value)) {
      return setAttribute.call(this, "hidden", "");
    }
    return setAttribute.call(this, name, value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get() { return src.get.call(this); },
    set(value) {
      if (blocked(value)) {
        setAttribute.call(this, "hidden", "");
        return;
      }
      src.set.call(this, value);
    },
  });
})();
