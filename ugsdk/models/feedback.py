"""After-chat feedback: the rating and the survey."""

from typing import Any, Dict, List, Optional

import attrs

from ._base import OpenEnum, extra_field

__all__ = ["ChatRating", "QuestionType", "SurveyQuestion", "ChatSurvey", "PostSessionStatus"]


@attrs.frozen(kw_only=True)
class ChatRating:
    """What ``send_chat_rate`` sends: a 1-5 rating and optional free text."""

    rating: int
    feedback: Optional[str] = None


class QuestionType(OpenEnum):
    """Survey question kinds (values inferred)."""

    SCALE = "scale"
    STAR = "star"
    CSAT = "csat"
    YES_NO = "yes_no"
    CHOICE = "choice"
    FREE_FORM = "free_form"


@attrs.frozen(kw_only=True)
class SurveyQuestion:
    """One survey question; ``valid_answers`` lists the accepted answers when it is closed."""

    id: int
    type: QuestionType
    display_text: str
    valid_answers: Optional[List[Any]] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ChatSurvey:
    """The survey of a finished chat."""

    sign_off_display_text: Optional[str] = None
    questions: List[SurveyQuestion] = attrs.field(factory=list)
    extra: Dict[str, Any] = extra_field()

    def question(self, question_id: int) -> Optional[SurveyQuestion]:
        """The question with this id, or ``None``."""
        for question in self.questions:
            if question.id == question_id:
                return question
        return None


class PostSessionStatus(OpenEnum):
    """Where the end user is in the post-session (survey) step (``update_post_session``)."""

    STARTED = "started"
    COMPLETED = "completed"
    SKIPPED = "skipped"
