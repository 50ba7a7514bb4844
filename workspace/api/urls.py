from rest_framework.routers import DefaultRouter

from .views import ClientViewSet, SavedFilterViewSet

router = DefaultRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("saved-filters", SavedFilterViewSet, basename="saved-filter")

urlpatterns = router.urls
