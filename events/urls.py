from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.index, name="index"),
    path("timeline/", views.timeline, name="timeline"),
    path("lessons/<slug:slug>/", views.lesson, name="lesson"),
    path("lessons/<slug:slug>/present/", views.present, name="present"),
    path("lessons/<slug:slug>/panels/<slug:anchor>/", views.panel, name="panel"),
]
