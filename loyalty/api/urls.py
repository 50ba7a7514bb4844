from rest_framework.routers import DefaultRouter

from .views import (
    CatalogueViewSet,
    PointsAdjustmentViewSet,
    PointsEntryViewSet,
    RedemptionViewSet,
)

router = DefaultRouter()
router.register("catalogue", CatalogueViewSet, basename="loyalty-catalogue")
router.register("entries", PointsEntryViewSet, basename="loyalty-entry")
router.register("redemptions", RedemptionViewSet, basename="loyalty-redemption")
router.register("adjustments", PointsAdjustmentViewSet, basename="loyalty-adjustment")

urlpatterns = router.urls
