"""The model card and decision pages: reading, editing, the PDF, answering an
approval, and what outsiders get."""

import io

import pytest
from pypdf import PdfReader

from tracker.accounts.models import Visibility
from tracker.cards import services
from tracker.cards.models import ApprovalState

CARD = "/products/fraud-score/model-card/"


@pytest.fixture
def card(product, alice):
    return services.model_card_with_scope_save(
        product=product,
        actor=alice,
        data={
            "intended_use": "Hold risky card payments.",
            "caveats": "Small merchants are scored less well.",
            "use_cases_not_served": ["Bank transfers"],
        },
    )


@pytest.fixture
def decision(product, bob):
    return services.decision_record(
        product=product,
        actor=bob,
        data={"title": "Missing values", "decision": "Listwise.", "reason": "Few."},
    )


def test_card_page_shows_sections_and_scope(alice_client, card):
    body = alice_client.get(CARD).content.decode()
    assert "Hold risky card payments." in body and "Bank transfers" in body


def test_card_pdf_carries_the_card(alice_client, card):
    response = alice_client.get("/products/fraud-score/model-card.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Small merchants are scored less well." in text


def test_edit_saves_card_scope_and_segments(alice_client, product):
    response = alice_client.post(
        f"{CARD}edit/",
        {
            "intended_use": "Hold payments.",
            "use_cases_served": "Card payments\n\n",
            "segments": "size=small\nsize=large",
        },
    )
    assert response.status_code == 302
    assert sorted(s.name for s in product.segments.all()) == [
        "size=large",
        "size=small",
    ]
    assert product.use_cases.get().description == "Card payments"


def test_a_bad_segment_is_a_form_error(alice_client, product):
    response = alice_client.post(f"{CARD}edit/", {"segments": "size small"})
    assert response.status_code == 200
    assert "segments" in response.context["form"].errors


def test_reader_may_not_edit(carol_client, card):
    assert carol_client.get(CARD).status_code == 200
    assert carol_client.get(f"{CARD}edit/").status_code == 403
    assert carol_client.post(f"{CARD}edit/", {"caveats": "x"}).status_code == 403


def test_outsider_gets_404_on_a_private_team(carol_client, card, team):
    team.visibility = Visibility.PRIVATE
    team.save()
    for url in (CARD, f"{CARD}edit/", "/products/fraud-score/decisions/"):
        assert carol_client.get(url).status_code == 404


def _answer_url(decision):
    approval = decision.approvals.get()
    return f"/products/fraud-score/decisions/{decision.pk}/approvals/{approval.pk}/"


def test_the_approver_approves_on_the_page(alice_client, decision):
    response = alice_client.post(
        _answer_url(decision), {"state": "approved", "comment": "Fine."}
    )
    assert response.status_code == 302
    assert decision.approvals.get().state == ApprovalState.APPROVED


def test_someone_else_may_not_answer(bob_client, decision):
    response = bob_client.post(_answer_url(decision), {"state": "approved"})
    assert response.status_code == 403
    assert decision.approvals.get().state == ApprovalState.PENDING


def test_product_page_lists_decisions_awaiting_approval(alice_client, decision):
    body = alice_client.get("/products/fraud-score/work/").content.decode()
    assert "1 awaiting approval" in body and "Missing values" in body
