from rest_framework.routers import SimpleRouter

from .views import ScoreRunViewSet

router = SimpleRouter()
router.register("scoring-runs", ScoreRunViewSet, basename="scoring-run")

urlpatterns = router.urls
