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
