"""factory-boy factories. Objects are created through the services, as the site creates them."""

from __future__ import annotations

import factory

from accounts import services as account_services
from accounts.models import TrustLevel, User
from accounts.roles import Role

TEST_PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    trust_level = TrustLevel.BASIC
    role = Role.MEMBER
    verified = True

    class Params:
        moderator = factory.Trait(role=Role.MODERATOR, trust_level=TrustLevel.REGULAR)
        brand_staff = factory.Trait(role=Role.BRAND_STAFF, trust_level=TrustLevel.MEMBER)
        administrator = factory.Trait(role=Role.ADMINISTRATOR, trust_level=TrustLevel.LEADER)

    @classmethod
    def _create(cls, model_class, *args, role=Role.MEMBER, verified=True, **kwargs):
        from allauth.account.models import EmailAddress

        password = kwargs.pop("password", TEST_PASSWORD)
        user = account_services.user_create(
            username=kwargs.pop("username"),
            email=kwargs.pop("email"),
            password=password,
            role=role,
            trust_level=kwargs.pop("trust_level"),
            display_name=kwargs.pop("display_name", ""),
            language=kwargs.pop("language", "en"),
        )
        if kwargs:
            for name, value in kwargs.items():
                setattr(user, name, value)
            user.save()
        EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
        return user


class CategoryFactory(factory.django.DjangoModelFactory):
    """A category, created through `community.services.category_create` (as the system)."""

    class Meta:
        model = "community.Category"

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from community import services as community_services

        return community_services.category_create(actor=None, **kwargs)


class TopicFactory(factory.django.DjangoModelFactory):
    """A topic with its first post, created through `community.services.topic_create`.

    Extra keyword arguments that are Topic fields the service does not take (`created_at`,
    `score`, `hot`, `reply_count`...) are written afterwards, for ordering tests; they bypass
    the services, so keep them to what a test needs."""

    class Meta:
        model = "community.Topic"

    category = factory.SubFactory(CategoryFactory)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"A topic about kettles number {n}")
    body = "The Aurora kettle whistles when it boils. Is that normal?"
    kind = None
    tags = ()

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from community import services as community_services
        from community.models import Post

        topic = community_services.topic_create(
            actor=kwargs.pop("author"),
            category=kwargs.pop("category"),
            title=kwargs.pop("title"),
            body=kwargs.pop("body"),
            kind=kwargs.pop("kind"),
            tags=kwargs.pop("tags"),
        )
        if kwargs:
            model_class.objects.filter(pk=topic.pk).update(**kwargs)
            if "created_at" in kwargs:
                Post.objects.filter(topic=topic, number=1).update(created_at=kwargs["created_at"])
            topic.refresh_from_db()
        return topic


class PostFactory(factory.django.DjangoModelFactory):
    """A reply, created through `community.services.post_create`."""

    class Meta:
        model = "community.Post"

    topic = factory.SubFactory(TopicFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Reply number {n}: descale it with citric acid.")
    reply_to = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from community import services as community_services

        post = community_services.post_create(
            actor=kwargs.pop("author"),
            topic=kwargs.pop("topic"),
            body=kwargs.pop("body"),
            reply_to=kwargs.pop("reply_to"),
        )
        if kwargs:
            model_class.objects.filter(pk=post.pk).update(**kwargs)
            post.refresh_from_db()
        return post
