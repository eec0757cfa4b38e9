"""The editors' admin: lessons with their sections and readings, history, import and export."""

import difflib
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from reversion import set_comment
from reversion.admin import VersionAdmin
from reversion.models import Version

from .exporter import lesson_to_json, lesson_to_text
from .importer import LessonDocumentError, decode_lesson_document, import_lesson, parse_lesson_document
from .markdown import disallowed_links, render_markdown
from .models import (
    DiscussionQuestion,
    Evidence,
    Interpretation,
    KeyTerm,
    Lesson,
    Reading,
    RelatedLesson,
    Section,
    Topic,
)
from .publishing import reading_problems


class TextWithNewlines(forms.CharField):
    """Browsers send a textarea's line breaks as CR LF; keep LF, as documents and exports have them."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


TEXT_FIELDS = {models.TextField: {"form_class": TextWithNewlines, "widget": forms.Textarea}}

MAX_UPLOAD_READ = 1024 * 1024  # enough to tell; the decoder reports anything over its own limit

# Order fields stay ordinary number inputs, so that reordering works without
# JavaScript; with it, the rows are dragged (or moved with buttons) and renumbered.
ORDER_WIDGET = forms.NumberInput(attrs={"class": "order-input", "min": 0})


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = [("order", "kind"), "heading", "body", ("parent", "anchor"), "evidence_link"]
    readonly_fields = ["anchor", "evidence_link"]
    formfield_overrides = {**TEXT_FIELDS, models.PositiveIntegerField: {"widget": ORDER_WIDGET}}
    classes = ["sortable-inline"]

    @admin.display(description="How do we know?")
    def evidence_link(self, section: Section) -> str:
        if not section.pk:
            return "Save the lesson first, then list the sources behind this section."
        count = section.evidence_count
        return format_html(
            '<a href="{}">{} — add or change the sources behind this section</a>',
            reverse("admin:events_section_change", args=[section.pk]),
            f"{count} source{'s' if count != 1 else ''}",
        )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evidence_count=models.Count("evidence"))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A sub-panel's parent is one of the same lesson's top-level cause or impact panels, read once
        # for all the lesson's sections rather than once for each.
        parent = formset.form.base_fields["parent"]
        parent.queryset = Section.objects.filter(lesson=obj, kind__in=Section.PANEL_KINDS, parent__isnull=True)
        parent.choices = list(parent.choices)
        return formset


class ReadingForm(forms.ModelForm):
    confirm_checked = forms.BooleanField(
        label="I have checked this reading",
        required=False,
        help_text="Tick once you have found the work, as described here, in a library catalogue or at its publisher.",
    )

    class Meta:
        model = Reading
        fields = ["order", "title", "authors", "publisher", "year", "isbn", "doi", "url", "note"]
        widgets = {"order": ORDER_WIDGET, "note": forms.Textarea(attrs={"rows": 2})}


class ReadingFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if self.instance.status != Lesson.Status.PUBLISHED:
            return
        readings = [
            form.instance
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not self._should_delete_form(form)
        ]
        if problems := reading_problems(readings):
            raise ValidationError(["A published lesson's readings must be real and findable.", *problems])


class ReadingInline(admin.StackedInline):
    model = Reading
    form = ReadingForm
    formset = ReadingFormSet
    extra = 0
    fields = [
        ("order", "title"),
        ("authors", "publisher", "year"),
        ("isbn", "doi", "url"),
        "note",
        ("checked_record", "confirm_checked"),
    ]
    readonly_fields = ["checked_record"]
    classes = ["sortable-inline"]
    formfield_overrides = TEXT_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("checked_by")

    @admin.display(description="Checked")
    def checked_record(self, reading: Reading) -> str:
        if reading.checked_on:
            who = reading.checked_by.get_username() if reading.checked_by else "a former user"
            return f"Checked by {who} on {localize(reading.checked_on)}"
        return "Not checked yet"


class KeyTermInline(admin.TabularInline):
    model = KeyTerm
    extra = 0
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 60})}}


class DiscussionQuestionInline(admin.TabularInline):
    model = DiscussionQuestion
    extra = 0
    classes = ["sortable-inline"]
    formfield_overrides = {
        models.PositiveIntegerField: {"widget": ORDER_WIDGET},
        models.TextField: {"form_class": TextWithNewlines, "widget": forms.Textarea(attrs={"rows": 2, "cols": 80})},
    }


class RelatedLessonInline(admin.TabularInline):
    model = RelatedLesson
    fk_name = "lesson"
    extra = 0
    fields = ["order", "relation", "related"]
    # Found by typing its title: a library of thousands of lessons is too many to list in every row.
    autocomplete_fields = ["related"]
    classes = ["sortable-inline"]
    formfield_overrides = {models.PositiveIntegerField: {"widget": ORDER_WIDGET}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("related")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            formset.form.base_fields["related"].queryset = Lesson.objects.exclude(pk=obj.pk)
        return formset


class InterpretationInline(admin.StackedInline):
    model = Interpretation
    extra = 0
    fields = [("order", "historian"), "work", "argument"]
    classes = ["sortable-inline"]
    formfield_overrides = {**TEXT_FIELDS, models.PositiveIntegerField: {"widget": ORDER_WIDGET}}


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["order", "title", "date", "source", "url"]
    classes = ["sortable-inline"]
    formfield_overrides = {models.PositiveIntegerField: {"widget": ORDER_WIDGET}}


@admin.register(Section)
class SectionAdmin(VersionAdmin):
    """A section's own page, for the sources behind it ("How do we know?")."""

    fields = ["lesson", "heading", "kind"]
    readonly_fields = ["lesson", "heading", "kind"]
    inlines = [EvidenceInline]
    formfield_overrides = TEXT_FIELDS

    class Media:
        css = {"all": ["css/admin-lesson.css"]}
        js = ["js/admin-lesson.js"]

    def has_module_permission(self, request):
        return False  # reached from its lesson, not from the admin's index

    def has_add_permission(self, request):
        return False

    def response_change(self, request, obj):
        if "_continue" not in request.POST:
            return redirect("admin:events_lesson_change", obj.lesson_id)
        return super().response_change(request, obj)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "lesson_count"]
    list_filter = ["kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_count=Count("lessons"))

    @admin.display(description="Lessons", ordering="lesson_count")
    def lesson_count(self, topic: Topic) -> int:
        return topic.lesson_count


class LessonAdminForm(forms.ModelForm):
    # The version the editor started from: a save over a newer one is a conflict.
    version_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)
    overwrite = forms.BooleanField(
        label="Save my version over theirs",
        required=False,
        widget=forms.HiddenInput,
        help_text="Their version stays in the history, so it can be restored.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version_seen"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        if not self.instance.pk or cleaned_data.get("overwrite"):
            return cleaned_data
        current = Lesson.objects.filter(pk=self.instance.pk).values_list("version", "updated_at").first()
        if current and current[0] != cleaned_data.get("version_seen"):
            self.fields["overwrite"].widget = forms.CheckboxInput()
            raise ValidationError(
                f"Someone else saved this lesson at {localize(timezone.localtime(current[1]))} "
                f"({latest_editor(self.instance)}), while you were editing it. Your changes are still on this "
                "page and have not been saved. Open the lesson in a new tab to see theirs; then copy your "
                "text across, or tick “Save my version over theirs” just below and save again.",
                code="conflict",
            )
        return cleaned_data


def latest_editor(lesson: Lesson) -> str:
    version = Version.objects.get_for_object(lesson).select_related("revision__user").first()
    user = version.revision.user if version else None
    return f"by {user.get_username()}" if user else "by an import or another program"


class SectionKindFilter(admin.SimpleListFilter):
    title = "has a section of kind"
    parameter_name = "section_kind"

    def lookups(self, request, model_admin):
        return Section.Kind.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(sections__kind=self.value()).distinct()
        return queryset


class LessonImportForm(forms.Form):
    document = forms.FileField(
        label="Lesson document",
        required=False,
        help_text="A plain-text lesson document (.txt, UTF-8) or a JSON export.",
        error_messages={"empty": "The chosen file is empty: choose the lesson document itself."},
    )
    text = forms.CharField(
        label="…or paste its text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "cols": 90, "spellcheck": "true"}),
    )

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("document") and not cleaned_data.get("text", "").strip():
            raise ValidationError("Choose a file, or paste the document's text.")
        return cleaned_data


@admin.register(Lesson)
class LessonAdmin(VersionAdmin):
    form = LessonAdminForm
    list_display = ["title", "event_date_display", "status_display", "section_count", "reading_count", "updated_at"]
    list_filter = ["status", SectionKindFilter, "topics"]
    search_fields = ["title", "summary", "sections__heading", "sections__body"]
    search_help_text = "Searches titles, key events, section headings and section text."
    date_hierarchy = "event_date"
    ordering = ["event_date", "title"]  # Meta.ordering does not hold with the counts of get_queryset()
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["reading_level"]
    inlines = [
        SectionInline,
        ReadingInline,
        KeyTermInline,
        DiscussionQuestionInline,
        InterpretationInline,
        RelatedLessonInline,
    ]
    filter_horizontal = ["topics"]
    formfield_overrides = TEXT_FIELDS
    history_latest_first = True
    actions = ["publish", "unpublish"]
    change_list_template = "admin/events/lesson/change_list.html"
    object_history_template = "admin/events/lesson/object_history.html"

    class Media:
        css = {"all": ["css/admin-lesson.css"]}
        js = ["js/admin-lesson.js"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["version_seen", "overwrite"], "classes": ["edit-conflict"]}),
            (None, {"fields": ["title", "slug", ("event_date", "date_precision"), "summary", "topics"]}),
            ("Image", {"fields": ["image", "image_alt", "image_credit"], "classes": ["collapse"]}),
            (
                "Publishing",
                {
                    "fields": [("status", "published_at")],
                    "description": "When a lesson is ready, an editor sets it to “Ready for review” and a "
                    "publisher publishes it. A publish time in the future schedules it: it appears by itself then.",
                },
            ),
        ]
        if obj:
            fieldsets.insert(3, ("Reading level", {"fields": ["reading_level"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            # Editors move a lesson between draft and ready for review; publishing is not theirs.
            readonly += ["published_at"]
            if obj and obj.status == Lesson.Status.PUBLISHED:
                readonly += ["status"]
        return readonly

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status" and not self.has_publish_permission(request):
            kwargs["choices"] = [(s.value, s.label) for s in (Lesson.Status.DRAFT, Lesson.Status.REVIEW)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(section_count=Count("sections", distinct=True), reading_count=Count("readings", distinct=True))
        )

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("events.publish_lesson")

    # The list

    @admin.display(description="Event date", ordering="event_date")
    def event_date_display(self, lesson: Lesson) -> str:
        return lesson.event_date_display

    @admin.display(description="Status", ordering="status")
    def status_display(self, lesson: Lesson) -> str:
        if lesson.is_scheduled:
            return f"Scheduled for {localize(timezone.localtime(lesson.published_at))}"
        return lesson.get_status_display()

    @admin.display(description="Sections", ordering="section_count")
    def section_count(self, lesson: Lesson) -> int:
        return lesson.section_count

    @admin.display(description="Readings", ordering="reading_count")
    def reading_count(self, lesson: Lesson) -> int:
        return lesson.reading_count

    @admin.display(description="Reading level")
    def reading_level(self, lesson: Lesson) -> str:
        return lesson.reading_level().description

    @admin.action(description="Publish the selected lessons", permissions=["publish"])
    def publish(self, request: HttpRequest, queryset):
        published = []
        for lesson in queryset.prefetch_related("readings"):
            if problems := reading_problems(lesson.readings.all()):
                self.message_user(request, f"“{lesson}” was not published. {' '.join(problems)}", messages.ERROR)
                continue
            if lesson.status != Lesson.Status.PUBLISHED:
                lesson.status, lesson.published_at = Lesson.Status.PUBLISHED, lesson.published_at or timezone.now()
                lesson.save()
                set_comment("Published.")
            published.append(str(lesson))
        if published:
            self.message_user(request, f"Published: {', '.join(published)}.", messages.SUCCESS)

    @admin.action(description="Unpublish the selected lessons (back to draft)", permissions=["publish"])
    def unpublish(self, request: HttpRequest, queryset):
        for lesson in queryset.filter(status=Lesson.Status.PUBLISHED):
            lesson.status, lesson.published_at = Lesson.Status.DRAFT, None
            lesson.save()
        set_comment("Unpublished.")
        self.message_user(request, "The selected lessons are drafts now; the public no longer sees them.")

    # Saving

    def save_model(self, request, obj, form, change):
        live_status = getattr(request, "live_status", None)
        if live_status is not None and not self.has_publish_permission(request):
            # Restoring an old revision brings back its text, not its publishing state.
            obj.status, obj.published_at = live_status
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is Reading:
            for reading_form in formset.forms:
                if not hasattr(reading_form, "cleaned_data") or formset._should_delete_form(reading_form):
                    continue
                reading = reading_form.instance
                if reading_form.cleaned_data.get("confirm_checked"):
                    reading.checked_by, reading.checked_on = request.user, timezone.localdate()
                elif {"title", "authors", "isbn", "doi", "url"} & set(reading_form.changed_data):
                    reading.checked_by, reading.checked_on = None, None  # what was checked has changed
        super().save_formset(request, form, formset, change)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        self._remember_live_status(request, object_id)
        return super().revision_view(request, object_id, version_id, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        version = get_object_or_404(Version, pk=version_id)
        self._remember_live_status(request, version.object_id)
        return super().recover_view(request, version_id, extra_context)

    def _remember_live_status(self, request, object_id):
        request.live_status = Lesson.objects.filter(pk=object_id).values_list("status", "published_at").first() or (
            Lesson.Status.DRAFT,
            None,
        )

    # Extra pages: import, export, compare, Markdown preview

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="events_lesson_import"),
            path(
                "preview-markdown/",
                view(require_POST(self.preview_markdown_view)),
                name="events_lesson_preview_markdown",
            ),
            path("<path:object_id>/export.txt", view(self.export_text_view), name="events_lesson_export_text"),
            path("<path:object_id>/export.json", view(self.export_json_view), name="events_lesson_export_json"),
            path(
                "<path:object_id>/history/<int:version_id>/compare/",
                view(self.compare_view),
                name="events_lesson_compare",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LessonImportForm(request.POST, request.FILES) if request.method == "POST" else LessonImportForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["document"]
            source = f"“{upload.name}”" if upload else "The pasted text"
            try:
                text = (
                    decode_lesson_document(upload.read(MAX_UPLOAD_READ))
                    if upload
                    else decode_lesson_document(form.cleaned_data["text"].encode())
                )
                with self.create_revision(request):
                    lesson, created = import_lesson(document=parse_lesson_document(text), publish=False)
                    set_comment(f"Imported from {upload.name if upload else 'pasted text'}.")
            except LessonDocumentError as error:
                form.add_error("document" if upload else "text", f"{source} {error}.")
            else:
                if created:
                    message = f"Imported “{lesson}” as a draft. Check it, preview it, then hand it to a publisher."
                else:
                    message = (
                        f"Updated “{lesson}” from the document; it is still {lesson.get_status_display().lower()}. "
                        "The version before the import is in its history."
                    )
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:events_lesson_change", lesson.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a lesson document",
            "form": form,
        }
        return TemplateResponse(request, "admin/events/lesson/import.html", context)

    def export_text_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lesson = self._lesson_for_view(request, object_id)
        return _download(lesson_to_text(lesson), f"{lesson.slug}.txt", "text/plain; charset=utf-8")

    def export_json_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lesson = self._lesson_for_view(request, object_id)
        content = json.dumps(lesson_to_json(lesson), ensure_ascii=False, indent=2)
        return _download(content, f"{lesson.slug}.json", "application/json")

    def compare_view(self, request: HttpRequest, object_id: str, version_id: int) -> HttpResponse:
        lesson = self._lesson_for_view(request, object_id)
        version = get_object_or_404(Version.objects.get_for_object(lesson), pk=version_id)
        old_lesson, old_parts = lesson_state_in(version)
        then = lesson_to_text(old_lesson, **old_parts)
        now = lesson_to_text(lesson)
        diff = list(difflib.unified_diff(then.splitlines(), now.splitlines(), lineterm="", n=2))[2:]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": lesson,
            "title": f"Compare “{lesson}” with the version of {localize(version.revision.date_created)}",
            "version": version,
            "diff": [(line[:1], line[1:]) for line in diff],
        }
        return TemplateResponse(request, "admin/events/lesson/compare.html", context)

    @staticmethod
    def preview_markdown_view(request: HttpRequest) -> HttpResponse:
        """The section text as the public page will show it, rendered by the same code."""
        if not (request.user.has_perm("events.change_lesson") or request.user.has_perm("events.add_lesson")):
            raise PermissionDenied
        text = request.POST.get("text", "")
        problems = disallowed_links(text)
        warning = (
            format_html(
                '<p class="preview-problem">These links will be refused when you save: {}</p>',
                format_html_join(", ", "<code>{}</code>", ((link,) for link in problems)),
            )
            if problems
            else ""
        )
        # render_markdown's output is sanitised HTML, the same the lesson page shows.
        return HttpResponse(format_html("{}{}", warning, mark_safe(render_markdown(text))))

    def _lesson_for_view(self, request: HttpRequest, object_id: str) -> Lesson:
        lesson = get_object_or_404(Lesson.objects.for_page(), pk=object_id)
        if not self.has_view_or_change_permission(request, lesson):
            raise PermissionDenied
        return lesson


def lesson_state_in(version: Version) -> tuple[Lesson, dict[str, list]]:
    """The lesson and all its parts as they were in a revision, for lesson_to_text()."""
    saved = [v._object_version for v in version.revision.version_set.all()]
    lesson_version = next(item for item in saved if isinstance(item.object, Lesson))

    def of_type(model):
        return [item.object for item in saved if isinstance(item.object, model)]

    parts = {
        "sections": of_type(Section),
        "readings": of_type(Reading),
        "key_terms": of_type(KeyTerm),
        "questions": of_type(DiscussionQuestion),
        "interpretations": of_type(Interpretation),
        # A lesson linked to then may have been deleted since.
        "relations": [
            relation for relation in of_type(RelatedLesson) if Lesson.objects.filter(pk=relation.related_id).exists()
        ],
        "evidence": of_type(Evidence),
        "topics": list(Topic.objects.filter(pk__in=lesson_version.m2m_data.get("topics", []))),
    }
    return lesson_version.object, parts


def _download(content: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
