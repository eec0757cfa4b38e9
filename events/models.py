"""Lessons, one per historical event, with their sections and readings."""

import datetime
import re
from collections.abc import Container
from functools import cached_property

import reversion
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connection, models
from django.db.models.functions import Lower
from django.template.defaultfilters import linebreaks_filter as linebreaks
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.text import slugify

from . import cache  # noqa: F401  (its signal receivers keep cached pages fresh)
from .glossary import mark_first_uses, term_anchor
from .identifiers import doi_problem, isbn_problem, normalise_doi, normalise_isbn
from .markdown import disallowed_links, first_sentence, first_sentence_of_text, plain_text, render_markdown
from .readability import ReadingLevel, reading_level

MARKDOWN_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s|$)", re.MULTILINE)


def validate_not_future_year(year: int) -> None:
    if year > timezone.now().year:
        raise ValidationError(f"{year} is in the future: give the year the work was published.")


def anchor_base(heading: str) -> str:
    return slugify(heading)[:72] or "section"


def free_anchor(heading: str, taken: Container[str]) -> str:
    """An anchor made from a section's heading: "causes", or "causes-2" if `taken` holds "causes"."""
    base = anchor_base(heading)
    anchor, number = base, 2
    while anchor in taken:
        anchor, number = f"{base}-{number}", number + 1
    return anchor


def date_as_known(date: datetime.date, precision: str) -> str:
    """A date as precisely as it is known ("16 July 1960", "July 1960" or "1960"), as Django's date
    formats "j F Y", "F Y" and "Y" write it, without their cost: a list of lessons shows dozens."""
    if precision == Lesson.DatePrecision.YEAR:
        return f"{date.year:04d}"
    month = f"{MONTHS[date.month]} {date.year:04d}"
    return month if precision == Lesson.DatePrecision.MONTH else f"{date.day} {month}"


def may_see(lesson: "Lesson", user) -> bool:
    """Whether the user may see this lesson: visible_to(), for one lesson already read."""
    return lesson.is_public or may_preview(user)


def may_preview(user) -> bool:
    """Whether the user may see lessons the public cannot yet (drafts, scheduled), to preview them."""
    return user.is_active and user.is_staff and user.has_perm("events.view_lesson")


class LessonQuerySet(models.QuerySet):
    def published(self):
        """Lessons the public may see: published, with a publish time that has come."""
        return self.filter(status=Lesson.Status.PUBLISHED, published_at__lte=timezone.now())

    @staticmethod
    def published_sql() -> tuple[str, list]:
        """published() as SQL on the table events_lesson, with its parameters, for queries written out
        where Django would take longer to build the condition than the database to test it."""
        return (
            "events_lesson.status = %s AND events_lesson.published_at <= %s",
            [Lesson.Status.PUBLISHED.value, connection.ops.adapt_datetimefield_value(timezone.now())],
        )

    def visible_to(self, user):
        """Published lessons for the public; drafts and scheduled lessons too for staff, to preview."""
        return self.all() if may_preview(user) else self.published()

    def with_sections(self):
        """The sections with their evidence and the key terms marked in them."""
        return self.prefetch_related(
            models.Prefetch("sections", queryset=Section.objects.order_by("order", "pk").prefetch_related("evidence")),
            "key_terms",
        )

    def for_page(self):
        """Everything a lesson page shows, in a fixed number of queries whatever its size."""
        return self.with_sections().prefetch_related(
            models.Prefetch("readings", queryset=Reading.objects.order_by("order", "pk")),
            "questions",
            "interpretations",
            "topics",
            models.Prefetch(
                "relations",
                # The status through lower(), which SQLite cannot look up in the index of published lessons:
                # without statistics it would walk every published lesson to find the relations of a few
                # (for 200 lessons among 10,000, 390 ms against 0.4 ms).
                queryset=RelatedLesson.objects.alias(related_status=Lower("related__status"))
                .filter(related_status=Lesson.Status.PUBLISHED, related__published_at__lte=timezone.now())
                .select_related("related"),
            ),
        )


@reversion.register(follow=["sections", "readings", "key_terms", "questions", "relations", "interpretations"])
class Lesson(models.Model):
    """One historical event, taught as a key-event summary, sections and readings."""

    class DatePrecision(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"
        YEAR = "year", "Year"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "Ready for review"  # an editor hands the lesson to a publisher
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The last part of the lesson's address, after /lessons/. Keep it stable: links to it use it.",
        error_messages={"unique": "Another lesson already has this address: change the slug, e.g. add the year."},
    )
    event_date = models.DateField(help_text="For an event known only to the month or year, use the first day of it.")
    date_precision = models.CharField(
        max_length=5,
        choices=DatePrecision,
        default=DatePrecision.DAY,
        help_text="How precisely the date is known; the page shows only that much.",
    )
    summary = models.TextField(
        "key event", help_text="The paragraph a student must remember: what happened, when and why."
    )
    status = models.CharField(max_length=9, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publish time",
        null=True,
        blank=True,
        help_text="When the lesson goes public. Left empty, it is set when the lesson is published.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    topics = models.ManyToManyField("Topic", blank=True, related_name="lessons")
    image = models.ImageField(upload_to="lessons/", blank=True)
    image_alt = models.CharField(
        "image description",
        max_length=300,
        blank=True,
        help_text="What the image shows, for readers who cannot see it (alt text).",
    )
    image_credit = models.CharField(
        max_length=300, blank=True, help_text="Who made the image and where it comes from, e.g. its archive."
    )
    # Goes up on every save; an edit form carries the number it started from, so that
    # a save over someone else's newer one is caught instead of silently overwriting it.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["event_date", "title"]
        permissions = [("publish_lesson", "Can publish and unpublish lessons")]
        indexes = [
            # The public's lists (index, timeline, their counts): published lessons in date order, read
            # from the index alone, whatever page is asked for. The key is in it before published_at, as
            # the lists' last order, so that no page sorts the lessons of one date and title itself.
            models.Index(
                fields=["status", "event_date", "title", "id", "published_at"], name="lesson_published_by_date"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        if self.pk:
            self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("events:lesson", args=[self.slug])

    def clean(self):
        errors = {}
        if self.event_date and self.event_date != self.normalised_event_date():
            errors["event_date"] = "For a date known only to the month or year, use the first day of it."
        if self.image and not self.image_alt.strip():
            errors["image_alt"] = "Describe what the image shows, for readers who cannot see it."
        if self.image and not self.image_credit.strip():
            errors["image_credit"] = "Say who made the image and where it comes from."
        if errors:
            raise ValidationError(errors)

    @property
    def is_public(self) -> bool:
        """Whether the public may see it: the lessons of LessonQuerySet.published()."""
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and (self.published_at <= timezone.now())
        )

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and (self.published_at > timezone.now())
        )

    def reading_level(self) -> ReadingLevel:
        """The reading level of the summary and every section's text, as saved."""
        texts = [self.summary, *(plain_text(section.body_html) for section in self.sections.all())]
        return reading_level("\n\n".join(texts))

    def normalised_event_date(self) -> datetime.date:
        if self.date_precision == self.DatePrecision.YEAR:
            return self.event_date.replace(month=1, day=1)
        if self.date_precision == self.DatePrecision.MONTH:
            return self.event_date.replace(day=1)
        return self.event_date

    @property
    def teaser(self) -> str:
        """The key event's first sentence, for lists of lessons."""
        return first_sentence_of_text(self.summary)

    @property
    def event_date_display(self) -> str:
        """The date as precisely as it is known: "16 July 1960", "July 1960" or "1960"."""
        return date_as_known(self.event_date, self.date_precision)

    @property
    def event_date_iso(self) -> str:
        """The same date for <time datetime>: 1960-07-16, 1960-07 or 1960."""
        return self.event_date.isoformat()[: self._iso_lengths[self.date_precision]]

    _iso_lengths = {DatePrecision.DAY: 10, DatePrecision.MONTH: 7, DatePrecision.YEAR: 4}

    # The page's parts, grouped from the prefetched sections (see for_page()).

    @cached_property
    def _sections(self) -> list["Section"]:
        sections = list(self.sections.all())
        children: dict[int, list[Section]] = {}
        for section in sections:
            if section.parent_id:
                children.setdefault(section.parent_id, []).append(section)
        for section in sections:
            section.subpanels = children.get(section.pk, [])
        return sections

    @property
    def sections_in_page_order(self) -> list["Section"]:
        """Every section in reading order, each panel followed by its sub-panels."""
        return [
            section
            for top in self.narrative_sections + self.panels + self.fun_facts
            for section in [top, *top.subpanels]
        ]

    @cached_property
    def _marked_html(self) -> dict:
        """The key event and every section's text, with each key term's first use marked."""
        blocks = [("summary", linebreaks(self.summary, autoescape=True))]
        blocks += [(section.pk, section.body_html) for section in self.sections_in_page_order]
        return mark_first_uses(blocks, self.key_terms.all())

    @property
    def summary_html(self) -> str:
        return self._marked_html["summary"]

    def _top_level(self, kind: str) -> list["Section"]:
        return [s for s in self._sections if s.kind == kind and not s.parent_id]

    @property
    def narrative_sections(self) -> list["Section"]:
        return self._top_level(Section.Kind.NARRATIVE)

    @property
    def panels(self) -> list["Section"]:
        """Cause panels, then impact panels: what led to the event, then what followed."""
        return self._top_level(Section.Kind.CAUSE) + self._top_level(Section.Kind.IMPACT)

    @property
    def fun_facts(self) -> list["Section"]:
        return self._top_level(Section.Kind.FUN_FACT)

    @property
    def all_panels(self) -> list["Section"]:
        """Every cause and impact panel, sub-panels included."""
        return [s for s in self._sections if s.is_panel]

    def find_panel(self, anchor: str) -> "Section | None":
        return next((s for s in self.all_panels if s.anchor == anchor), None)


@reversion.register(follow=["evidence"])
class Section(models.Model):
    """A part of a lesson: narrative text, a cause or impact panel, or a fun fact."""

    class Kind(models.TextChoices):
        NARRATIVE = "narrative", "Narrative"
        CAUSE = "cause", "Cause"
        IMPACT = "impact", "Impact"
        FUN_FACT = "fun_fact", "Fun fact"

    PANEL_KINDS = {Kind.CAUSE, Kind.IMPACT}

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=9, choices=Kind, default=Kind.NARRATIVE)
    heading = models.CharField(max_length=200)
    anchor = models.SlugField(
        max_length=80,
        blank=True,
        editable=False,
        help_text="The section's address within the lesson, made from its first heading and then kept.",
    )
    body = models.TextField(blank=True, help_text="Markdown: *italic*, **bold**, [links](https://…), lists.")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        help_text="Makes this a sub-panel inside another cause or impact panel of the same lesson.",
    )
    # Rendered on save, so that pages never run Markdown or the sanitiser.
    body_html = models.TextField(editable=False, blank=True)
    teaser = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "anchor"], name="unique_section_anchor_per_lesson"),
        ]

    def __str__(self) -> str:
        return self.heading

    def save(self, *args, **kwargs):
        if not self.anchor:
            self.anchor = self._free_anchor()
        self.render_body()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """A panel's own page (the lesson with it open); any other section's place in the lesson."""
        if self.is_panel:
            return reverse("events:panel", args=[self.lesson.slug, self.anchor])
        return f"{self.lesson.get_absolute_url()}#{self.anchor}"

    def render_body(self) -> None:
        """The body's HTML and first sentence, made whenever it is saved (and before a bulk create)."""
        self.body_html = render_markdown(self.body)
        self.teaser = first_sentence(self.body_html)

    def _free_anchor(self) -> str:
        """An anchor made from the heading, numbered if another section of the lesson has it."""
        taken = set(
            Section.objects.filter(lesson_id=self.lesson_id, anchor__startswith=anchor_base(self.heading))
            .exclude(pk=self.pk)
            .values_list("anchor", flat=True)
        )
        return free_anchor(self.heading, taken)

    def clean(self):
        if not self.heading.strip():
            raise ValidationError({"heading": "Give the section a heading."})
        if bad := disallowed_links(self.body):
            raise ValidationError(
                {
                    "body": "Links must start with https://, http:// or / (a page of this site). "
                    f"Change or remove: {', '.join(bad)}"
                }
            )
        if MARKDOWN_HEADING.search(self.body):
            raise ValidationError(
                {"body": "A section's text cannot hold headings (lines starting with #): start a new section."}
            )
        if self.parent_id:
            if self.kind not in self.PANEL_KINDS:
                raise ValidationError(
                    {"kind": "A sub-panel is a cause or an impact: choose one, or remove the parent."}
                )
            parent = self.parent
            if parent.lesson_id != self.lesson_id:
                raise ValidationError({"parent": "The parent panel must belong to the same lesson."})
            if parent.parent_id:
                raise ValidationError({"parent": "A sub-panel cannot hold sub-panels of its own."})
            if parent.pk == self.pk:
                raise ValidationError({"parent": "A section cannot be its own parent."})

    @property
    def display_html(self) -> str:
        """The body as the lesson page shows it: key terms marked where the lesson first uses them."""
        return self.lesson._marked_html.get(self.pk, self.body_html)

    @property
    def is_panel(self) -> bool:
        return self.kind in self.PANEL_KINDS

    @property
    def heading_level(self) -> int:
        return 3 if self.parent_id else 2


@reversion.register()
class Reading(models.Model):
    """A recommended book or article for a lesson, with what shows that it exists."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="readings")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    authors = models.CharField(max_length=300, help_text='As on the title page, e.g. "Lorenz M. Lüthi".')
    publisher = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1400), validate_not_future_year]
    )
    isbn = models.CharField("ISBN", max_length=20, blank=True, help_text="ISBN-10 or ISBN-13, as printed in the book.")
    doi = models.CharField(
        "DOI", max_length=200, blank=True, help_text="For an article, e.g. 10.1017/S0305741000000000."
    )
    url = models.URLField("URL", blank=True, help_text="The publisher's or a library catalogue's page for the work.")
    note = models.TextField(blank=True, help_text="Why a student might read it.")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who checked that the work exists as described.",
    )
    checked_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.authors})"

    def clean(self):
        errors = {}
        if self.isbn:
            if problem := isbn_problem(self.isbn):
                errors["isbn"] = f"This ISBN is not valid: {problem}."
            else:
                self.isbn = normalise_isbn(self.isbn)
        if self.doi:
            if problem := doi_problem(self.doi):
                errors["doi"] = f"This DOI is not valid: {problem}."
            else:
                self.doi = normalise_doi(self.doi)
        if errors:
            raise ValidationError(errors)

    @property
    def identifier_problem(self) -> str | None:
        """Why this reading cannot be shown as real yet, or None when it can."""
        if self.isbn and not isbn_problem(self.isbn):
            return None
        if self.doi and not doi_problem(self.doi):
            return None
        if self.url:
            return None
        return "it has no ISBN, DOI or publisher or library catalogue URL"


class Topic(models.Model):
    """A theme, era or region that lessons belong to, for finding them."""

    class Kind(models.TextChoices):
        THEME = "theme", "Theme"
        ERA = "era", "Era"
        REGION = "region", "Region"

    kind = models.CharField(max_length=6, choices=Kind)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="unique_topic_name_per_kind")]

    def __str__(self) -> str:
        return self.name


@reversion.register()
class KeyTerm(models.Model):
    """A word a student may not know, explained where it first appears and in the glossary."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="key_terms")
    term = models.CharField(max_length=100)
    definition = models.CharField(max_length=500, help_text="One or two plain sentences.")

    class Meta:
        ordering = ["term"]
        constraints = [models.UniqueConstraint(fields=["lesson", "term"], name="unique_term_per_lesson")]

    def __str__(self) -> str:
        return self.term

    @property
    def anchor(self) -> str:
        return term_anchor(self.term)


@reversion.register()
class DiscussionQuestion(models.Model):
    """A question a teacher can put to the class about the lesson."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    question = models.TextField()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.question[:80]


@reversion.register()
class RelatedLesson(models.Model):
    """A link from one lesson to another, with how they are related."""

    class Relation(models.TextChoices):
        LED_TO = "led_to", "Led to"
        FOLLOWED_FROM = "followed_from", "Followed from"
        SEE_ALSO = "see_also", "See also"

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="relations")
    related = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(max_length=13, choices=Relation, default=Relation.SEE_ALSO)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "related"], name="unique_related_lesson"),
            models.CheckConstraint(condition=~models.Q(lesson=models.F("related")), name="not_related_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()}: {self.related}"


@reversion.register()
class Evidence(models.Model):
    """A source behind a section's claims: "How do we know?"."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="evidence")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300, help_text="The primary source, e.g. a letter, a treaty or a speech.")
    date = models.CharField(max_length=50, blank=True, help_text='As precisely as known, e.g. "18 July 1960".')
    source = models.CharField(
        "archive or publisher", max_length=300, blank=True, help_text="Where the source is kept or published."
    )
    url = models.URLField("URL", blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title


@reversion.register()
class Interpretation(models.Model):
    """One historian's reading of the event, set beside others: "Historians disagree"."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="interpretations")
    order = models.PositiveIntegerField(default=0)
    historian = models.CharField(max_length=200)
    work = models.CharField(max_length=300, help_text="The book or article in which the historian argues it.")
    argument = models.TextField(help_text="The interpretation, in two or three plain sentences.")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.historian}, {self.work}"


class LessonRendering(models.Model):
    """The parts of a lesson's page that only its rows and the lessons it links to decide, rendered
    when it is saved rather than on every visit (events/rendering.py keeps them current)."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, primary_key=True, related_name="rendering")
    # The columns the lists read come before the page's large ones: SQLite reads a row's columns in
    # order, through every page of each long value before the one it wants (migration 0013).
    # What made it: the templates and settings it was rendered with (rendering.renderer()).
    renderer = models.CharField(max_length=64)
    card = models.TextField(blank=True)  # the lesson in the index's list
    timeline_entry = models.TextField(blank=True)  # and on the timeline
    # When a related lesson scheduled then is published, and so is missing from `article`.
    expires_at = models.DateTimeField(null=True, blank=True)
    article = models.TextField()  # from the title to the related lessons, with every panel closed
    references = models.TextField(blank=True)  # the readings as references, for "Cite this lesson"
    panels = models.JSONField(default=dict)  # each panel's anchor: its body, as htmx fetches it

    def __str__(self) -> str:
        return f"Rendering of {self.lesson_id}"
