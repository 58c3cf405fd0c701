"""factory-boy factories for every model, bound to the test session by conftest."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.auth import services as auth
from app.auth.models import Organisation, User
from app.timebank import services as timebank

TEST_PASSWORD = "correct horse battery"
_PASSWORD_HASH: str | None = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = auth.hash_password(TEST_PASSWORD)
    return _PASSWORD_HASH


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "commit"


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")

    @factory.post_generation
    def accounts(obj, create, extracted, **kwargs):
        if create:
            session = OrganisationFactory._meta.sqlalchemy_session
            timebank.open_organisation_accounts(session, obj)
            session.commit()


class UserFactory(BaseFactory):
    class Meta:
        model = User

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password_hash = factory.LazyFunction(_password_hash)
    role = "member"
    postcode = "LS6 2AB"

    @factory.post_generation
    def account(obj, create, extracted, **kwargs):
        if create:
            session = UserFactory._meta.sqlalchemy_session
            timebank.open_member_account(session, obj)
            session.commit()


class CoordinatorFactory(UserFactory):
    role = "coordinator"


class AdminFactory(UserFactory):
    role = "admin"


ALL_FACTORIES = [OrganisationFactory, UserFactory, CoordinatorFactory, AdminFactory]


def bind(session) -> None:
    for factory_class in ALL_FACTORIES:
        factory_class._meta.sqlalchemy_session = session


def account_of(user):
    from app.timebank.services import member_account

    return member_account(UserFactory._meta.sqlalchemy_session, user)
