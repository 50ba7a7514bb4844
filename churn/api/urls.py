from rest_framework.routers import SimpleRouter

from .views import ChurnFlagViewSet

router = SimpleRouter()
router.register("churn-flags", ChurnFlagViewSet, basename="churn-flag")

urlpatterns = router.urls
