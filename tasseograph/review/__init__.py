"""``tasseograph review``: a fleet digest from the runner's state, ranked offline or by a model.

Modules: ``digest`` (what the state holds for a window, read-only), ``rank`` (the offline
grouping and score), ``nextsteps`` (advice per category, from ``data/next_steps.toml``),
``llm`` (the model's review through ``prompts/review-v1``, its evidence checked), ``report``
(the typed review), ``render`` (Markdown and JSON), ``score`` (against a fleet replay's ground
truth) and ``cli`` (the command and :func:`build_review`, its library form).
"""

from tasseograph.review.cli import build_review
from tasseograph.review.report import Review, ReviewItem
from tasseograph.review.score import ReviewScore, score_review

__all__ = ["Review", "ReviewItem", "ReviewScore", "build_review", "score_review"]
