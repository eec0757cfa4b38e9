from django import forms
from django.contrib import admin
from django.db import models

from .models import Lesson, Reading, Section


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = [("order", "kind"), "heading", "body", ("parent", "anchor")]
    readonly_fields = ["anchor"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A sub-panel's parent is one of the same lesson's cause or impact panels.
        if db_field.name == "parent":
            lesson_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Section.objects.filter(
                lesson_id=lesson_id, kind__in=Section.PANEL_KINDS, parent__isnull=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadingInline(admin.StackedInline):
    model = Reading
    extra = 0
    fields = [("order", "title"), ("authors", "publisher", "year"), ("url", "note")]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "event_date_display", "status", "published_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    date_hierarchy = "event_date"
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", ("event_date", "date_precision"), "summary"]}),
        ("Publishing", {"fields": [("status", "published_at")]}),
    ]
    inlines = [SectionInline, ReadingInline]

    @admin.display(description="Event date", ordering="event_date")
    def event_date_display(self, lesson: Lesson) -> str:
        return lesson.event_date_display
