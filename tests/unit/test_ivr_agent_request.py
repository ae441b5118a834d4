"""Requests for a person in what the caller said (English / Vietnamese), and what the machine says back."""

from __future__ import annotations

import pytest

from lambdas.ivr_decision.agent_request import MAX_TRANSCRIPT_CHARS, asks_for_person, fold
from lambdas.policy.content import Order, speakable_date
from tests.unit.ivr_support import defaults

CONTENT = defaults().content

# --- asks_for_person ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transcript",
    [
        "agent",
        "AGENT!",
        "Agent please",
        "I want to speak to a representative",
        "Operator.",
        "can I talk to a real person",
        "get me a human",
        "a human being, please",
        "let me chat with someone",
        "speak with customer service",
        "live agent",
        "I want to talk to the agent's supervisor",
        "No, I want an agent",  # "no" is not right before the request
        "I don't want to wait, get me an agent",
        "I don't need an agent. Actually, give me an operator",  # the second request is not negated
        "I\u2019d like a representative",  # typographic apostrophe
    ],
)
def test_english_requests_for_a_person(transcript: str) -> None:
    assert asks_for_person(transcript)


@pytest.mark.parametrize(
    "transcript",
    [
        "Cho tôi gặp nhân viên",
        "GẶP NHÂN VIÊN",
        "tôi muốn nói chuyện với tổng đài viên",
        "cho gặp tư vấn viên",
        "tôi cần người thật",
        "cho tôi gặp người",
        "tôi muốn nói chuyện với người",
        "chăm sóc khách hàng",
        "gap nhan vien",  # typed without diacritics
        "cho toi gap tong dai vien",
        "Không, tôi muốn gặp nhân viên",  # "không" is not right before the request
        "Gă\u0323p nha\u0302n vie\u0302n",  # decomposed (NFD) diacritics
    ],
)
def test_vietnamese_requests_for_a_person(transcript: str) -> None:
    assert asks_for_person(transcript)


@pytest.mark.parametrize(
    "transcript",
    [
        "",
        "where is my order",
        "I don't need an agent",
        "I do not want to talk to an agent",
        "I don't need a real person",
        "I dont want a human",
        "no agent",
        "no need for an operator",
        "without a human",
        "không cần nhân viên",
        "không cần gặp nhân viên",
        "khong muon gap nguoi that",
        "không muốn gặp tổng đài viên",
        # false friends: the word is inside a longer word
        "I work for a travel agency",
        "the reagent kit I ordered",
        "is your packaging humane",
        "my personal details changed",
        "an inhuman wait",
        "operational question about returns",
    ],
)
def test_not_a_request_for_a_person(transcript: str) -> None:
    assert not asks_for_person(transcript)


# Regression: a request phrase that starts with the verb ("talk to someone") must still see the
# negation before it ("I don't want to ...").
@pytest.mark.parametrize(
    "transcript",
    [
        "I don't want to speak with a person",
        "I don't want to talk to a person",
        "I do not want to talk to someone",
        "I don't want to speak to customer service",
        "I don't need to talk to anyone",
    ],
)
def test_a_negated_talk_to_someone_is_not_a_request(transcript: str) -> None:
    assert not asks_for_person(transcript)


def test_only_the_first_2000_characters_are_read() -> None:
    filler = "x" * MAX_TRANSCRIPT_CHARS
    assert not asks_for_person(filler + " agent")
    assert asks_for_person("agent " + filler)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Gặp Nhân Viên", "gap nhan vien"),
        ("Đơn hàng đâu?", "don hang dau"),
        ("TỔNG ĐÀI VIÊN", "tong dai vien"),
        ("I don\u2019t need an AGENT!!", "i don't need an agent"),
        ("  many   spaces\t\nhere ", "many spaces here"),
        ("", ""),
    ],
)
def test_fold_to_plain_ascii(raw: str, folded: str) -> None:
    assert fold(raw) == folded


# --- content: dates, order status, messages ------------------------------------------------------


@pytest.mark.parametrize(
    ("iso", "language", "spoken"),
    [
        ("2026-11-25", "en", "Wednesday, November 25"),
        ("2026-11-25", "vi", "thứ Tư, ngày 25 tháng 11"),
        ("2026-11-29", "vi", "Chủ nhật, ngày 29 tháng 11"),
        ("2027-01-01", "en", "Friday, January 1"),
        ("2026-11-25", "fr", "Wednesday, November 25"),  # any other language: English words
        ("", "en", ""),
        ("soon", "en", ""),
        ("2026-02-30", "en", ""),
    ],
)
def test_speakable_date(iso: str, language: str, spoken: str) -> None:
    assert speakable_date(iso, language) == spoken


def test_order_answer_with_eta() -> None:
    order = Order("1042", "IN_TRANSIT", "2026-11-25")
    assert CONTENT.order_answer(order, "en") == (
        "Your order 1042 is on its way and should arrive by Wednesday, November 25."
    )
    assert CONTENT.order_answer(order, "vi") == (
        "Đơn hàng 1042 của quý khách đang trên đường giao và dự kiến sẽ đến trước thứ Tư, ngày 25 tháng 11."
    )


def test_order_answer_without_an_eta_says_soon() -> None:
    """Given an order whose ETA is missing or not a date, Then {eta} is the noEta word, not "by ..."."""
    assert CONTENT.order_answer(Order("1042", "SHIPPED", ""), "en") == (
        "Your order 1042 has shipped and should arrive soon."
    )
    assert CONTENT.order_answer(Order("1042", "IN_TRANSIT", "next week"), "en") == (
        "Your order 1042 is on its way and should arrive soon."
    )
    assert CONTENT.order_answer(Order("1042", "SHIPPED", ""), "vi") == (
        "Đơn hàng 1042 của quý khách đã được gửi đi và dự kiến sẽ đến sớm."
    )


def test_order_answer_for_a_delayed_order() -> None:
    order = Order("2077", "DELAYED", "2026-12-02")
    assert CONTENT.order_answer(order, "en") == (
        "Your order 2077 is delayed and should now arrive by Wednesday, December 2."
    )
    assert CONTENT.order_answer(order, "vi") == (
        "Đơn hàng 2077 của quý khách bị chậm trễ và dự kiến sẽ đến trước thứ Tư, ngày 2 tháng 12."
    )
    assert CONTENT.order_answer(Order("2077", "DELAYED", ""), "en") == (
        "Your order 2077 is delayed and should now arrive soon."
    )


def test_order_answer_for_an_order_on_hold() -> None:
    assert CONTENT.order_answer(Order("77", "ON_HOLD", ""), "en") == (
        "Your order 77 is on hold at the moment."
    )
    assert CONTENT.order_answer(Order("77", "ON_HOLD", "2026-11-25"), "vi") == (
        "Đơn hàng 77 của quý khách hiện đang được tạm giữ."
    )


def test_order_answer_for_a_status_without_a_phrase() -> None:
    """Given a status the content has no phrase for, Then the status is read out in plain words."""
    order = Order("77", "AWAITING_PICKUP", "")
    assert CONTENT.order_answer(order, "en") == "Your order 77 has the status awaiting pickup."
    assert CONTENT.order_answer(order, "vi") == "Đơn hàng 77 của quý khách có trạng thái awaiting pickup."


def test_order_answer_without_an_order() -> None:
    assert CONTENT.order_answer(None, "en") == "I could not find a recent order on your account."
    assert CONTENT.order_answer(Order("", "SHIPPED", ""), "vi") == (
        "Tôi không tìm thấy đơn hàng gần đây nào trong tài khoản của quý khách."
    )


def test_order_answer_in_a_language_without_phrases_uses_the_default() -> None:
    assert CONTENT.order_answer(Order("5", "DELIVERED", ""), "fr") == "Your order 5 was delivered."


def test_order_id_with_braces_is_spoken_literally() -> None:
    assert CONTENT.order_answer(Order("{eta}", "DELIVERED", ""), "en") == "Your order {eta} was delivered."


def test_messages_name_the_closure() -> None:
    assert CONTENT.message("CLOSED_HOLIDAY", "en", "Christmas Day") == (
        "Our team is closed today for Christmas Day. Please call again on our next working day."
    )
    # The closure's own name carries "Lễ" where it needs it: the message does not add another.
    assert CONTENT.message("CLOSED_HOLIDAY", "vi", "Lễ Giáng sinh") == (
        "Hôm nay chúng tôi nghỉ Lễ Giáng sinh. Xin vui lòng gọi lại vào ngày làm việc tiếp theo."
    )
    assert CONTENT.message("CLOSED_HOLIDAY", "vi", "Tết Dương lịch") == (
        "Hôm nay chúng tôi nghỉ Tết Dương lịch. Xin vui lòng gọi lại vào ngày làm việc tiếp theo."
    )
    assert "because of the ice storm." in CONTENT.message("CLOSED_EMERGENCY", "en", "the ice storm")


def test_a_message_in_an_unknown_language_falls_back_to_the_default() -> None:
    assert CONTENT.message("CALLBACK", "fr") == CONTENT.message("CALLBACK", "en")
    assert CONTENT.message("CALLBACK", "en").startswith("All of our team are busy")
    assert CONTENT.message("NO_SUCH_MESSAGE", "en") == ""


def test_answers_exist_for_every_routine_intent_in_both_languages() -> None:
    for intent in ("RETURN_POLICY", "OPENING_HOURS", "SHIPPING_INFO", "PAYMENT_METHODS"):
        assert CONTENT.has_answer(intent)
        assert CONTENT.answer(intent, "en", None)
        assert CONTENT.answer(intent, "vi", None) != CONTENT.answer(intent, "en", None)
    assert CONTENT.has_answer("ORDER_STATUS")
    assert not CONTENT.has_answer("COMPLAINT")


@pytest.mark.parametrize(
    ("transcript", "asks"),
    [
        ("the delivery person was rude", False),
        ("nhân viên giao hàng để hàng sai chỗ", False),  # the delivery driver, not an agent
        ("customer services please", True),
        ("get me a human", True),
        ("a real person please", True),
        ("no, I want an agent", True),
    ],
)
def test_people_mentioned_in_passing_are_not_requests(transcript: str, asks: bool) -> None:
    assert asks_for_person(transcript) is asks
