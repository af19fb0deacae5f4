"""Fixtures shared by the harvest tests."""
import pytest

from ckan.tests import factories

from tests.harvest_sources import allowed_source_server, source_server  # noqa: F401 (fixtures)


@pytest.fixture
def harvest_db(clean_db, migrate_db_for):
    """A clean database with ckanext-harvest's tables, which ``clean_db`` alone does not create."""
    migrate_db_for("harvest")


@pytest.fixture
def server(allowed_source_server):
    """The local source of a harvest test, allowed as a harvest source."""
    return allowed_source_server


@pytest.fixture
def organization(request):
    """The organisation that owns a test's harvest source, named by its module's ORGANIZATION."""
    return factories.Organization(name=request.module.ORGANIZATION)
