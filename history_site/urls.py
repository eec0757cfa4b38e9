from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "History lessons: editors"
admin.site.site_title = "History lessons admin"
admin.site.index_title = "Lessons and readings"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("events.urls")),
]
