"""The item page (codes, excerpts, memos), samples and agreement through the test client: who may
use each page, what it shows, errors beside their fields, and odd input that must never fail."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.evaluation import coding
from engage.evaluation.index import EvidenceFilter
from engage.evaluation.models import (
    Code,
    CodeApplication,
    CodingSample,
    EvidenceRecord,
    Memo,
    SampleItem,
)
from engage.missions.models import Mission
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, make_code, make_evidence, make_mission
from tests.missions.test_views import field_error, field_value, page_text, sign_in
from tests.test_security import csrf_token

TEXT = "Wider pavements on the high street\nwould help everyone walk safely."


@pytest.fixture
def item(session: Session, mission: Mission) -> EvidenceRecord:
    return make_evidence(
        session,
        mission,
        TEXT,
        title="Pavements",
        area="North",
        segment="Under 25",
        attributes={"round": "Streets for people", "votes": "12"},
    )


@pytest.fixture
def code(session: Session, mission: Mission) -> Code:
    return make_code(session, mission, "Walking")


def url(mission: Mission, *rest: object) -> str:
    return "/".join([f"/evaluation/{mission.slug}", *(str(part) for part in rest)])


def rows(session: Session, model: type[object]) -> list[object]:
    session.rollback()  # see what the requests committed
    return list(session.scalars(sa.select(model)))


def sample_for(
    session: Session, mission: Mission, first: User, second: User, size: int = 10
) -> CodingSample:
    return coding.draw_sample(
        session, mission.id, "Pilot", size, "seed", EvidenceFilter(), first.id, second.id,
        actor=first,
    )  # fmt: skip


def cells(html: str, code_name: str) -> list[str]:
    """The cells of the agreement table's row for a code."""
    row = re.search(rf'<th scope="row">{code_name}</th>(.*?)</tr>', html, re.DOTALL)
    assert row is not None
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


# --- Who may use what ---------------------------------------------------------------------------


def test_residents_and_officers_are_refused_and_change_nothing(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
    second_evaluator: User,
    officer: User,
    resident: User,
) -> None:
    application = coding.apply_code(session, mission.id, item.id, code.id, "", actor=evaluator)
    sample = sample_for(session, mission, evaluator, second_evaluator)
    pages = [
        url(mission, "items", item.id),
        url(mission, "samples"),
        url(mission, "samples", sample.id),
    ]
    posts = {
        url(mission, "items", item.id, "codes"): {"code": str(code.id), "excerpt": ""},
        url(mission, "items", item.id, "codes", application.id, "remove"): {},
        url(mission, "items", item.id, "memos"): {"body": "A note"},
        url(mission, "samples"): {
            "name": "Another", "size": "5", "seed": "x",
            "coder_a": str(evaluator.id), "coder_b": str(second_evaluator.id),
        },
    }  # fmt: skip
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    for person in (resident, officer):
        sign_in(auth, person)
        for page in pages:
            assert client.get(page).status_code == 403
        for page, data in posts.items():
            assert client.post(page, data=data).status_code == 403
        auth.sign_out()
    assert len(rows(session, CodeApplication)) == 1
    assert rows(session, Memo) == []
    assert len(rows(session, CodingSample)) == 1


def test_another_missions_item_application_and_sample_are_not_found(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
    second_evaluator: User,
) -> None:
    elsewhere = make_mission(session)
    foreign_item = make_evidence(session, elsewhere, "Elsewhere.")
    foreign_code = make_code(session, elsewhere, "Foreign")
    foreign_sample = sample_for(session, elsewhere, evaluator, second_evaluator)
    foreign_application = coding.apply_code(
        session, elsewhere.id, foreign_item.id, foreign_code.id, "", actor=evaluator
    )
    sign_in(auth, evaluator)

    assert client.get(url(mission, "items", foreign_item.id)).status_code == 404
    assert client.get(url(mission, "items", 2**31 - 1)).status_code == 404
    assert client.get(url(mission, "items", 2**40)).status_code == 404  # beyond an id
    assert client.get(url(mission, "samples", foreign_sample.id)).status_code == 404
    assert (
        client.get(url(mission, "items", item.id) + f"?sample={foreign_sample.id}").status_code
        == 404
    )
    data = {"code": str(code.id), "excerpt": ""}
    assert (
        client.post(url(mission, "items", foreign_item.id, "codes"), data=data).status_code == 404
    )
    assert (
        client.post(url(mission, "items", foreign_item.id, "memos"), data={"body": "x"}).status_code
        == 404
    )
    remove = url(mission, "items", foreign_item.id, "codes", foreign_application.id, "remove")
    assert client.post(remove).status_code == 404
    remove = url(mission, "items", item.id, "codes", foreign_application.id, "remove")
    assert client.post(remove).status_code == 404
    assert client.get("/evaluation/no-such-mission/samples").status_code == 404
    assert len(rows(session, CodeApplication)) == 1
    assert rows(session, Memo) == []


# --- The item page ------------------------------------------------------------------------------


def test_the_item_page_shows_the_item_its_codes_and_memos(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
    second_evaluator: User,
) -> None:
    coding.apply_code(session, mission.id, item.id, code.id, "walk safely", actor=second_evaluator)
    session.add(CodeApplication(code_id=code.id, evidence_id=item.id, coder_id=None))
    session.commit()
    sign_in(auth, evaluator)

    response = client.get(url(mission, "items", item.id))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert "Pavements" in text and TEXT in text  # the line break kept
    assert "Co-design" in text and "North" in text and "Under 25" in text
    assert item.contributor_key is not None and item.contributor_key in text
    assert "<dt>round</dt><dd>Streets for people</dd>" in html
    assert "Ezra" in text and "proposed by themes" in text and "walk safely" in text
    # A remove button for the theme proposal only: Ezra's application is Ezra's.
    assert html.count("/remove") == 1
    assert f'<option value="{code.id}">Walking</option>' in html


def test_an_evaluator_applies_a_code_and_an_excerpt_through_the_page(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
) -> None:
    sign_in(auth, evaluator)

    response = client.post(
        url(mission, "items", item.id, "codes"),
        data={"code": str(code.id), "excerpt": "high street would help"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == url(mission, "items", item.id)
    page = page_text(client.get(response.headers["Location"]))
    assert "“Walking” is applied to the excerpt." in page
    applied = rows(session, CodeApplication)
    assert len(applied) == 1
    assert isinstance(applied[0], CodeApplication)
    assert (applied[0].coder_id, applied[0].excerpt) == (evaluator.id, "high street would help")
    # Twice: still one.
    client.post(
        url(mission, "items", item.id, "codes"),
        data={"code": str(code.id), "excerpt": "high street would help"},
    )
    assert len(rows(session, CodeApplication)) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"excerpt": "narrower pavements"}, "excerpt", "must be copied exactly"),
        ({"excerpt": "walk\x00safely"}, "excerpt", "(NUL)"),
        ({"excerpt": "x" * 6000}, "excerpt", "5000"),
        ({"code": "999999"}, "code", "Choose a code from the list."),
        ({"code": "99999999999999999999"}, "code", "Choose a code from the list."),
        ({"code": "abc"}, "code", "Choose a code from the list."),
        ({"code": ""}, "code", "Choose a code."),
        ({"code": None}, "code", "Choose a code."),
    ],
)
def test_a_refused_code_is_explained_beside_its_field_with_what_was_typed(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
    data: dict[str, str | None],
    field: str,
    message: str,
) -> None:
    sign_in(auth, evaluator)
    sent = {"code": str(code.id), "excerpt": ""}
    sent.update({k: v for k, v in data.items() if v is not None})
    if data.get("code", "") is None:
        del sent["code"]

    response = client.post(url(mission, "items", item.id, "codes"), data=sent)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in field_error(html, field)
    if field == "excerpt" and "\x00" not in sent["excerpt"]:
        assert field_value(html, "excerpt") == sent["excerpt"]
    assert rows(session, CodeApplication) == []


def test_a_retired_or_foreign_code_cannot_be_chosen(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
) -> None:
    retired = make_code(session, mission, "Old")
    retired.status = retired.status.RETIRED
    session.commit()
    foreign = make_code(session, make_mission(session), "Foreign")
    sign_in(auth, evaluator)

    for chosen in (retired, foreign):
        response = client.post(
            url(mission, "items", item.id, "codes"), data={"code": str(chosen.id)}
        )
        assert response.status_code == 400
        assert "Choose a code from the list." in field_error(
            response.get_data(as_text=True), "code"
        )
    assert rows(session, CodeApplication) == []


def test_a_coder_removes_their_own_code_but_not_anothers(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
    second_evaluator: User,
) -> None:
    own = coding.apply_code(session, mission.id, item.id, code.id, "", actor=evaluator)
    theirs = coding.apply_code(session, mission.id, item.id, code.id, "", actor=second_evaluator)
    own_id, theirs_id = own.id, theirs.id
    sign_in(auth, evaluator)

    refused = client.post(url(mission, "items", item.id, "codes", theirs_id, "remove"))
    removed = client.post(url(mission, "items", item.id, "codes", own_id, "remove"))
    shown = page_text(client.get(removed.headers["Location"]))
    again = client.post(url(mission, "items", item.id, "codes", own_id, "remove"))

    assert refused.status_code == 403
    assert removed.status_code == 302
    assert "The code is removed from the item." in shown
    assert again.status_code == 404
    left = rows(session, CodeApplication)
    assert [a.id for a in left if isinstance(a, CodeApplication)] == [theirs_id]


def test_memos_on_an_item(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    evaluator: User,
) -> None:
    sign_in(auth, evaluator)

    saved = client.post(
        url(mission, "items", item.id, "memos"), data={"body": "Mentions <b>kids</b>?"}
    )
    empty = client.post(url(mission, "items", item.id, "memos"), data={"body": "   "})
    nul = client.post(url(mission, "items", item.id, "memos"), data={"body": "a\x00b"})
    huge = client.post(url(mission, "items", item.id, "memos"), data={"body": "m" * 6000})

    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Mentions &lt;b&gt;kids&lt;/b&gt;?" in page  # escaped, never marked safe
    assert empty.status_code == nul.status_code == huge.status_code == 400
    assert "Write the memo." in field_error(empty.get_data(as_text=True), "body")
    assert field_error(nul.get_data(as_text=True), "body")
    assert "5000" in field_error(huge.get_data(as_text=True), "body")
    memos = rows(session, Memo)
    assert len(memos) == 1 and isinstance(memos[0], Memo)
    assert memos[0].evidence_id == item.id and memos[0].author_id == evaluator.id


# --- Independent coding from a sample -----------------------------------------------------------


def test_from_the_sample_a_coder_sees_only_their_own_codes_and_the_next_item(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    code: Code,
    evaluator: User,
    second_evaluator: User,
) -> None:
    for n in range(3):
        make_evidence(session, mission, f"Idea {n} about walking.", title=f"Idea {n}")
    sample = sample_for(session, mission, evaluator, second_evaluator, size=3)
    order = [entry.evidence_id for entry in sample.items]
    mine = make_code(session, mission, "Safety")
    coding.apply_code(session, mission.id, order[0], code.id, "", actor=second_evaluator)
    coding.apply_code(session, mission.id, order[0], mine.id, "", actor=evaluator)
    sample_id = sample.id
    sign_in(auth, evaluator)

    independent = client.get(url(mission, "items", order[0]) + f"?sample={sample_id}")
    everything = client.get(url(mission, "items", order[0]))

    html = independent.get_data(as_text=True)
    assert independent.status_code == 200
    assert "You are coding it independently" in page_text(independent)
    assert ">Safety</a>" in html and ">Walking</a>" not in html  # Ezra's code is hidden
    next_link = url(mission, "items", order[1]) + f"?sample={sample_id}"
    assert f'href="{next_link}"' in html
    assert f'action="{url(mission, "items", order[0], "codes")}?sample={sample_id}"' in html
    assert ">Walking</a>" in everything.get_data(as_text=True)
    # Coding from the sample comes back to the sample's view of the item.
    response = client.post(
        url(mission, "items", order[1], "codes") + f"?sample={sample_id}",
        data={"code": str(code.id)},
    )
    assert response.headers["Location"] == url(mission, "items", order[1]) + f"?sample={sample_id}"
    last = client.get(url(mission, "items", order[2]) + f"?sample={sample_id}")
    assert "Next item in the sample" not in page_text(last)


@pytest.mark.parametrize("sample", ["abc", "-1", "0", "99999999999999999999", "1%00", "²"])
def test_an_odd_sample_argument_shows_the_ordinary_page(
    client: FlaskClient,
    auth: AuthActions,
    mission: Mission,
    item: EvidenceRecord,
    evaluator: User,
    sample: str,
) -> None:
    sign_in(auth, evaluator)
    response = client.get(url(mission, "items", item.id) + f"?sample={sample}")
    assert response.status_code == 200
    assert "independently" not in page_text(response)


# --- Samples ------------------------------------------------------------------------------------


def test_an_evaluator_draws_a_sample_through_the_page(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    second_evaluator: User,
    officer: User,
) -> None:
    for n in range(4):
        make_evidence(
            session, mission, f"Idea {n}.", title=f"Idea {n}", area="North" if n else "South"
        )
    sign_in(auth, evaluator)

    form = client.get(url(mission, "samples") + "?area=North")
    html = form.get_data(as_text=True)
    seed = field_value(html, "seed")
    assert form.status_code == 200 and seed and re.fullmatch(r"[0-9a-f]{16}", seed)
    assert f'<option selected value="{evaluator.id}">Eva</option>' in html
    assert "Olu" not in html and officer.display_name not in html  # only evaluators code
    assert re.search(r'<option selected value="North">', html)  # the filter from the address

    response = client.post(
        url(mission, "samples"),
        data={
            "name": "Pilot", "size": "10", "seed": seed,
            "coder_a": str(evaluator.id), "coder_b": str(second_evaluator.id), "area": "North",
        },
    )  # fmt: skip

    assert response.status_code == 302
    sample = rows(session, CodingSample)[0]
    assert isinstance(sample, CodingSample)
    assert response.headers["Location"] == url(mission, "samples", sample.id)
    page = page_text(client.get(response.headers["Location"]))
    assert "Only 3 items match the filter: the sample holds all of them." in page
    assert "The sample “Pilot” is drawn." in page
    assert seed in page and "Idea 1" in page and "Idea 0" not in page
    assert "both coders have applied at least one active code" in page
    assert len(rows(session, SampleItem)) == 3
    audit = [e for e in rows(session, AuditEntry) if isinstance(e, AuditEntry)]
    assert [e.action for e in audit] == ["evaluation.sample_drawn"]
    listing = page_text(client.get(url(mission, "samples")))
    assert "Pilot" in listing and "0 and 0 of 3 coded; 0 by both" in listing


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"size": "100000000000000000000"}, "size", "Draw between 1 and 500 items."),
        ({"size": "0"}, "size", "Draw between 1 and 500 items."),
        ({"size": "ten"}, "size", "Not a valid integer value."),
        ({"name": "Pil\x00ot"}, "name", "(NUL)"),
        ({"name": ""}, "name", "Give the sample a name."),
        ({"seed": ""}, "seed", "Give a seed."),
        ({"coder_b": "same"}, "coder_b", "Choose two different evaluators."),
        ({"coder_b": "99999"}, "coder_b", "Choose an evaluator from the list."),
        ({"domain": "nowhere"}, "domain", "Choose a source from the list."),
        ({"query": "nothing-matches-this"}, None, "No item matches this filter"),
        ({"name": "pilot"}, "name", "already called"),
    ],
)
def test_a_refused_sample_is_explained_and_changes_nothing(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    evaluator: User,
    second_evaluator: User,
    changes: dict[str, str],
    field: str | None,
    message: str,
) -> None:
    sample_for(session, mission, evaluator, second_evaluator)  # "Pilot"
    sign_in(auth, evaluator)
    data = {
        "name": "Second", "size": "5", "seed": "abc",
        "coder_a": str(evaluator.id), "coder_b": str(second_evaluator.id),
    }  # fmt: skip
    data.update({k: str(evaluator.id) if v == "same" else v for k, v in changes.items()})

    response = client.post(url(mission, "samples"), data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    if field is None:
        assert message in page_text(response)
    else:
        assert message in field_error(html, field)
    assert len(rows(session, CodingSample)) == 1


def test_the_sample_page_shows_agreement_per_code(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    second_evaluator: User,
) -> None:
    records = [make_evidence(session, mission, f"Idea {n}.") for n in range(4)]
    walking = make_code(session, mission, "Walking")
    safety = make_code(session, mission, "Safety")
    sample = sample_for(session, mission, evaluator, second_evaluator, size=4)
    # Walking: both on 0 and 1, neither on 2 and 3 -> kappa 1. Safety: on 2 and 3 by both,
    # and on 0 by Eva only -> both 2, A only 1, neither 1: po 3/4, pA 3/4, pB 1/2,
    # pe = 3/8 + 1/8 = 1/2, kappa = (3/4 - 1/2) / (1/2) = 0.5 (moderate).
    plan = {0: ({walking, safety}, {walking}), 1: ({walking}, {walking}),
            2: ({safety}, {safety}), 3: ({safety}, {safety})}  # fmt: skip
    for index, (by_a, by_b) in plan.items():
        for chosen in by_a:
            coding.apply_code(
                session, mission.id, records[index].id, chosen.id, "", actor=evaluator
            )
        for chosen in by_b:
            coding.apply_code(
                session, mission.id, records[index].id, chosen.id, "", actor=second_evaluator
            )
    sign_in(auth, evaluator)

    response = client.get(url(mission, "samples", sample.id))

    assert response.status_code == 200
    text = page_text(response)
    html = response.get_data(as_text=True)
    assert "Mean kappa: 0.75, over the 2 codes with a kappa (substantial agreement)." in text
    assert cells(html, "Walking") == ["1.00", "almost perfect", "1.00", "0.50", "2", "0", "0", "2"]
    assert cells(html, "Safety") == ["0.50", "moderate", "0.75", "0.50", "2", "1", "0", "1"]
    assert '<figure class="chart"' in html and "kappa-chart" in html


def test_a_code_with_no_kappa_says_why(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
    second_evaluator: User,
) -> None:
    sample = sample_for(session, mission, evaluator, second_evaluator, size=1)
    sign_in(auth, evaluator)

    text = page_text(client.get(url(mission, "samples", sample.id)))

    assert "No item has been coded by both coders yet." in text
    assert "No code has a kappa yet." in text


def test_the_item_pages_forms_carry_a_working_csrf_token(
    make_app: Callable[..., Flask],
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    code: Code,
    evaluator: User,
) -> None:
    page_url, code_id, email = url(mission, "items", item.id), str(code.id), evaluator.email
    session.rollback()  # this app's requests do not end the test's transaction for it
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token(client.get("/sign-in"))
    client.post(
        "/sign-in", data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    page = client.get(page_url).get_data(as_text=True)
    # Each form has its token (the page's forms, sign-out included, share one), no repeated id.
    forms = re.findall(
        r'<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
        page,
    )
    tokens = [token for action, token in forms if action.startswith(page_url)]
    assert len(tokens) == 2 and 'id="csrf_token"' not in page

    forged = client.post(f"{page_url}/codes", data={"code": code_id})
    real = client.post(f"{page_url}/codes", data={"code": code_id, "csrf_token": tokens[0]})
    memo = client.post(f"{page_url}/memos", data={"body": "A note", "csrf_token": tokens[1]})

    assert forged.status_code == 400
    assert real.status_code == 302 and memo.status_code == 302
    assert len(rows(session, CodeApplication)) == 1 and len(rows(session, Memo)) == 1


def test_odd_arguments_to_the_samples_page_never_fail(
    client: FlaskClient, auth: AuthActions, mission: Mission, evaluator: User
) -> None:
    sign_in(auth, evaluator)
    odd = "size=abc&coder_a=xyz&coder_b=%00&date_from=31-31-2026&domain=nowhere&code=2%C2%B2&seed="
    response = client.get(url(mission, "samples") + "?" + odd)
    assert response.status_code == 200
    assert field_value(response.get_data(as_text=True), "seed")  # a fresh seed all the same
