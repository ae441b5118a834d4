"""A FAKE Lex V2 bot for the flow simulator: a keyword table, not a language model.

`ConnectParticipantWithLexBot` in a simulated flow hands the caller's next scripted input to
`classify`, which picks the first intent in `INTENT_KEYWORDS` with a keyword that starts a word of
the utterance ("complain" matches "complaint"). The intents are the Lex names the IVR rules know
(lambdas/documents/defaults/rules.json turns `CheckOrderStatus` into ORDER_STATUS through its
aliases). A keyword hit has confidence 0.9; anything else is `FallbackIntent` at 0.3. A DTMF digit
said to the bot maps through the rules' menu ("1" → CheckOrderStatus), as a bot with DTMF
utterances would. Sentiment is NEGATIVE when the utterance has one of `NEGATIVE_WORDS`, else
NEUTRAL. Order matters: a request for a person wins over the topic it is about, and "cancel my
order" is a cancellation, not an order-status question.

What a real bot would add and this does not: slots, multi-turn dialog, alternate intents with
real scores, locales, and being wrong in interesting ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FALLBACK_INTENT = "FallbackIntent"
HIT_CONFIDENCE = 0.9
MISS_CONFIDENCE = 0.3

# First match wins. Keywords match at the start of a word ("bill" matches "billing").
INTENT_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "SpeakToAgent",
        ("agent", "person", "representative", "someone", "human", "operator", "somebody", "real people"),
    ),
    ("Complaint", ("complain",)),
    ("CancelOrder", ("cancel",)),
    ("BillingDispute", ("bill", "charge", "overcharg", "invoice")),
    ("Returns", ("return", "refund", "send back", "exchange")),
    ("CheckOrderStatus", ("order", "package", "parcel", "where is my", "tracking")),
    ("StoreHours", ("hours", "open", "close")),
    ("ShippingInfo", ("shipping", "deliver")),
    ("PaymentMethods", ("pay", "card", "paypal")),
    ("ChangeAddress", ("address", "moved")),
)
NEGATIVE_WORDS = (
    "angry",
    "terrible",
    "ridiculous",
    "third time",
    "furious",
    "unacceptable",
    "worst",
    "awful",
    "fed up",
    "disgusted",
    "useless",
)
# rules.json `menu` digit → Lex intent name.
DTMF_INTENTS = {
    "1": "CheckOrderStatus",
    "2": "Returns",
    "3": "StoreHours",
    "4": "BillingDispute",
    "5": "Complaint",
    "6": "CancelOrder",
    "0": "SpeakToAgent",
}


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")", re.IGNORECASE)


_INTENT_PATTERNS = tuple((intent, _pattern(words)) for intent, words in INTENT_KEYWORDS)
_NEGATIVE = _pattern(NEGATIVE_WORDS)


@dataclass(frozen=True)
class LexTurn:
    """One turn of the fake bot: what `$.Lex` holds afterwards."""

    utterance: str
    intent: str
    confidence: float
    sentiment: str  # NEGATIVE or NEUTRAL

    def namespace(self, session_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        """`$.Lex` after this turn, in Connect's shape (docs/connect-facts.md §2.5)."""
        negative = self.sentiment == "NEGATIVE"
        return {
            "IntentName": self.intent,
            "IntentConfidence": {"Score": f"{self.confidence:.2f}"},
            "SentimentResponse": {
                "Label": self.sentiment,
                "Scores": {
                    "Positive": "0.01",
                    "Negative": "0.90" if negative else "0.04",
                    "Mixed": "0.01",
                    "Neutral": "0.08" if negative else "0.94",
                },
            },
            "Slots": {},
            "SessionAttributes": dict(session_attributes or {}),
            "DialogState": "ReadyForFulfillment",
            "InputTranscript": self.utterance,
        }


def classify(utterance: str) -> LexTurn:
    """The fake bot's reading of one utterance (or one DTMF digit)."""
    text = utterance.strip()
    sentiment = "NEGATIVE" if _NEGATIVE.search(text) else "NEUTRAL"
    if text in DTMF_INTENTS:
        return LexTurn(utterance, DTMF_INTENTS[text], HIT_CONFIDENCE, sentiment)
    for intent, pattern in _INTENT_PATTERNS:
        if pattern.search(text):
            return LexTurn(utterance, intent, HIT_CONFIDENCE, sentiment)
    return LexTurn(utterance, FALLBACK_INTENT, MISS_CONFIDENCE, sentiment)
