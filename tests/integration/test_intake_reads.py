"""The hand-written statements of the creation path (docs/performance.md, "Creation") do exactly
what the ORM did: the bearer-token look-up and an intake's reads (Designated Contacts, current
policy, account, subscriptions) answer the same rows, in one statement each, and the case, its
first event and its targets are stored as ``save``/``bulk_create`` stored them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from caredesk.cases.models import Case, CaseEvent, CaseTarget
from caredesk.cases.services import _intake_reads, case_open
from caredesk.domain.errors import RuleViolation
from caredesk.sla.models import PolicyVersion
from caredesk.sla.services import policy_current, policy_load, policy_of
from caredesk.sqlrows import Columns, Insert
from caredesk.tenancy import services
from caredesk.tenancy.models import ApiToken, EndUserAccount, Subscription, User
from tests.conftest import World, case_payload

AT = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def _payload(world: World) -> dict[str, Any]:
    payload = case_payload(world.a.account)
    payload["first_observed_at"] = datetime.fromisoformat(payload["first_observed_at"])  # as the API gives it
    return payload


def _values(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_columns_build_the_instance_the_orm_builds(world: World) -> None:
    account = world.a.account
    columns = Columns(EndUserAccount, "a")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns.sql} FROM "tenancy_enduseraccount" a WHERE a."id" = %s', [account.pk])
        built = columns.build(cursor.fetchone(), connection.alias)
    orm = EndUserAccount.objects.get(pk=account.pk)
    assert _values(built) == _values(orm)
    assert isinstance(built.calendar, dict) and isinstance(built.created_at, datetime)  # converted, not text
    assert built._state.adding is False and built._state.db == connection.alias


def test_columns_not_selected_are_deferred_and_read_when_asked(world: World) -> None:
    columns = Columns(User, "u", ["id", "email"])
    user = world.a.dcs[0]
    built = columns.build([user.pk, user.email], connection.alias)
    assert built.get_deferred_fields() >= {"name", "role"}
    with CaptureQueriesContext(connection) as ctx:
        assert built.name == user.name
    assert len(ctx) == 1


def test_columns_refuse_an_unknown_field_and_a_short_row() -> None:
    try:
        Columns(User, "u", ["id", "no_such_field"])
    except ValueError as exc:
        assert "no_such_field" in str(exc)
    else:
        raise AssertionError("an unknown field was accepted")
    try:
        Columns(User, "u", ["id", "email"]).build([1])
    except ValueError:
        pass
    else:
        raise AssertionError("a short row was accepted")


def test_a_bearer_token_authenticates_its_user_as_stored(world: World) -> None:
    for user in [world.admin, world.agent, world.a.dcs[0], world.b.staff]:
        services.token_authenticate(world.tokens[user.email])  # stamps last_used_at (once a minute)
        with CaptureQueriesContext(connection) as ctx:
            found = services.token_authenticate(world.tokens[user.email])
            assert found is not None
            values = _values(found)
        assert len(ctx) == 1, [q["sql"] for q in ctx.captured_queries]  # every column came with the token
        assert values == _values(User.objects.get(pk=user.pk))
        token = ApiToken.objects.get(user=user, name="test")
        assert found.api_token_id == token.pk  # type: ignore[attr-defined]


def test_a_token_that_is_unknown_revoked_expired_or_of_an_inactive_user_authenticates_no_one(world: World) -> None:
    assert services.token_authenticate("cdk_" + "x" * 40) is None
    assert services.token_authenticate("not-a-token") is None
    dc = world.a.dcs[0]
    secret = world.tokens[dc.email]
    token = ApiToken.objects.get(user=dc, name="test")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=now() - timedelta(seconds=1))
    assert services.token_authenticate(secret) is None
    ApiToken.objects.filter(pk=token.pk).update(expires_at=now() + timedelta(days=1))
    assert services.token_authenticate(secret) is not None
    User.objects.filter(pk=dc.pk).update(is_active=False)
    assert services.token_authenticate(secret) is None
    User.objects.filter(pk=dc.pk).update(is_active=True)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=now())
    assert services.token_authenticate(secret) is None


def test_intake_reads_match_the_orm_reads_they_replace(world: World) -> None:
    account = world.a.account
    # A subscription whose term has ended and one not yet begun are not subscribed on the day.
    for start, end, service in [
        (date(2020, 1, 1), date(2020, 12, 31), "pure_success"),
        (AT.date() + timedelta(days=1), AT.date() + timedelta(days=30), "pure_success"),
    ]:
        Subscription.objects.create(
            reseller_id=account.reseller_id,
            account=account,
            service=service,
            package="care_for_cloud",
            term_start=start,
            term_end=end,
        )
    reads = _intake_reads(account.reseller_id, account.pk, AT)
    day = AT.date()
    assert (
        reads.designated_contacts
        == User.objects.filter(reseller_id=account.reseller_id, role="designated_contact", is_active=True).count()
    )
    assert reads.designated_contacts == 2
    assert reads.version.pk == policy_current().pk and reads.version.key == policy_current().key
    assert policy_of(reads.version) == policy_of(policy_current())
    assert reads.account is not None and _values(reads.account) == _values(EndUserAccount.objects.get(pk=account.pk))
    expected = dict(
        Subscription.objects.filter(account=account, term_start__lte=day, term_end__gte=day).values_list(
            "service", "package"
        )
    )
    assert (
        reads.subscribed
        == expected
        == {
            "pureengage_cloud": "care_for_cloud",
            "premier_edition": "business_care_for_cloud",
        }
    )


def test_an_account_of_another_reseller_or_a_bad_id_is_no_account(world: World) -> None:
    reseller_id = world.a.reseller.pk
    for account_id in [world.b.account.pk, None, "1", True, 2**63, -(2**63) - 1, 10**30]:
        reads = _intake_reads(reseller_id, account_id, AT)
        assert reads.account is None and reads.subscribed is None, account_id
        assert reads.designated_contacts == 2  # the other reads still answer


def test_an_account_without_a_running_subscription_subscribes_to_nothing(world: World) -> None:
    account = services.account_create(
        actor=world.admin,
        reseller_id=world.a.reseller.pk,
        name="Bare",
        department="",
        country="US",
        calendar={"timezone": "UTC"},
        csm_id=None,
    )
    reads = _intake_reads(world.a.reseller.pk, account.pk, AT)
    assert reads.account is not None and reads.account.pk == account.pk
    assert reads.subscribed == {}


def test_a_reseller_with_fewer_than_two_active_dcs_cannot_open_cases(world: World) -> None:
    User.objects.filter(pk=world.a.dcs[1].pk).update(is_active=False)
    assert _intake_reads(world.a.reseller.pk, world.a.account.pk, AT).designated_contacts == 1
    before = Case.objects.count()
    try:
        case_open(actor=world.a.dcs[0], payload=_payload(world), now=AT)
    except RuleViolation:
        pass
    else:
        raise AssertionError("a reseller with one active DC opened a case")
    assert Case.objects.count() == before


def test_each_case_records_the_policy_version_current_when_it_was_logged(world: World, tmp_path: Path) -> None:
    """DOMAIN.md: each case records the policy version that governed it. A version loaded while
    the process runs governs the next case at once (the process caches a version's text by its
    digest, never which version is current)."""
    old = case_open(actor=world.a.dcs[0], payload=_payload(world), now=AT)
    shipped = Path(settings.CAREDESK_POLICY_FILE).read_text(encoding="utf-8")
    assert 'version = "4"' in shipped
    changed = tmp_path / "policy.toml"
    changed.write_text(shipped.replace('version = "4"', 'version = "4-intake-reads-test"', 1), encoding="utf-8")
    loaded = policy_load(path=str(changed))
    new = case_open(actor=world.a.dcs[0], payload=_payload(world), now=AT)
    assert old.policy_id != new.policy_id == loaded.pk
    assert Case.objects.get(pk=new.pk).policy.key == loaded.key == "cloud-resellers@4-intake-reads-test"
    assert Case.objects.get(pk=old.pk).policy.key == "cloud-resellers@4"
    assert policy_of(new.policy).key == loaded.key
    assert PolicyVersion.objects.filter(is_current=True).get().pk == loaded.pk


def _stored(model: type[Model], pk: int) -> dict[str, Any]:
    values = _values(model._default_manager.get(pk=pk))
    values.pop("id")
    return values


def test_insert_stores_what_save_and_bulk_create_store(world: World) -> None:
    opened = case_open(actor=world.a.dcs[0], payload=_payload(world), now=AT)
    case = Case.objects.get(pk=opened.pk)
    # The ORM's copy and Insert's copy of each stored row; a unique key told apart where there is one.
    for model, original, unique in [
        (Case, case, None),
        (CaseEvent, CaseEvent.objects.filter(case=case).get(), ("seq", 2, 3)),
        (CaseTarget, CaseTarget.objects.filter(case=case).order_by("kind").first(), ("kind", "x2", "x3")),
    ]:
        assert original is not None
        values = _values(original)
        values.pop("id")
        saved, inserted = model(**values), model(**values)
        if unique is not None:
            setattr(saved, unique[0], unique[1])
            setattr(inserted, unique[0], unique[2])
        saved.save(force_insert=True)
        with CaptureQueriesContext(connection) as ctx:
            [same] = Insert(model).run([inserted], connection.alias)
        assert len(ctx) == 1
        assert same is inserted and inserted.pk is not None and inserted.pk != saved.pk
        assert inserted._state.adding is False and inserted._state.db == connection.alias
        by_orm, by_insert = _stored(model, saved.pk), _stored(model, inserted.pk)
        if unique is not None:
            assert (by_orm.pop(unique[0]), by_insert.pop(unique[0])) == unique[1:]
            values.pop(unique[0])
        assert by_insert == by_orm == values, model


def test_insert_writes_many_rows_in_one_statement_and_gives_each_its_id(world: World) -> None:
    case = case_open(actor=world.a.dcs[0], payload=_payload(world), now=AT)
    rows = [
        CaseTarget(case=case, reseller_id=case.reseller_id, kind=f"k{i}", state="running", due_at=AT) for i in range(3)
    ]
    with CaptureQueriesContext(connection) as ctx:
        Insert(CaseTarget).run(rows, connection.alias)
    assert len(ctx) == 1
    assert [CaseTarget.objects.get(pk=r.pk).kind for r in rows] == ["k0", "k1", "k2"]
    assert CaseTarget.objects.get(pk=rows[0].pk).due_at == AT
