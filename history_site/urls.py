from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "History lessons: editors"
admin.site.site_title = "History lessons admin"
admin.site.index_title = "Lessons and readings"

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("", include("events.urls")),
]

# Uploaded images in development; in production the web server in front serves them.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
