"""Finding articles by their words.

On PostgreSQL: full-text search with the English configuration: the document is
``to_tsvector('english', title || ' ' || body)`` (the expression migration 0002 indexes with GIN),
queried with ``websearch_to_tsquery`` for a search box (every word must match; quotes and ``-``
work), or with the significant words OR-ed for a suggestion from a problem description; ranked
with the title weighted above the body.

On SQLite (development, tests): a case-insensitive substring match on title and body, every word
for a search, any word for a suggestion, ranked by the number of distinct words matched (a title
match counts twice).
"""

from __future__ import annotations

import re
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import CombinedExpression

from caredesk.knowledge.models import Article

MAX_WORDS = 24
CONFIG = "english"
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
STOP_WORDS = frozenset(
    """the and for with that this from have has had was were are our your their they them when then than
    there which what who whom while into onto over under after before about again also any all can cannot
    could would should will just not but its been being does did doing very some such only same too more
    most other each few both here how why where out off own don doesn isn aren wasn weren""".split()  # noqa: SIM905
)


def words(text: str) -> list[str]:
    """The significant words of ``text``: lower case, three letters or more, no stop words, each
    once, in order, at most ``MAX_WORDS``."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOP_WORDS:
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def _document() -> SearchVector:
    return SearchVector("title", "body_md", config=CONFIG)


def _weighted() -> CombinedExpression:
    return SearchVector("title", weight="A", config=CONFIG) + SearchVector("body_md", weight="B", config=CONFIG)


def article_search(qs: QuerySet[Article], text: str, *, any_word: bool = False, limit: int = 50) -> list[Article]:
    """Articles of ``qs`` matching ``text``, best first (then by title)."""
    terms = words(text)
    if not terms:
        return []
    if connection.vendor == "postgresql":
        if any_word:
            query = reduce(or_, (SearchQuery(term, search_type="plain", config=CONFIG) for term in terms))
        else:
            query = SearchQuery(text, search_type="websearch", config=CONFIG)
        return list(
            qs.annotate(document=_document(), rank=SearchRank(_weighted(), query))
            .filter(document=query)
            .order_by("-rank", "title", "id")[:limit]
        )
    matches = [Q(title__icontains=term) | Q(body_md__icontains=term) for term in terms]
    found = list(qs.filter(reduce(or_ if any_word else and_, matches)))

    def score(article: Article) -> int:
        title, body = article.title.lower(), article.body_md.lower()
        return sum(2 if term in title else 1 for term in terms if term in title or term in body)

    found.sort(key=lambda a: (-score(a), a.title, a.pk))
    return found[:limit]
