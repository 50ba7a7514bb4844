from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("advisors", views.AdvisorViewSet, basename="advisor")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("trades", views.TradeViewSet, basename="trade")
router.register("positions", views.PositionViewSet, basename="position")
router.register("balances", views.BalanceViewSet, basename="balance")
router.register("cash-flows", views.CashFlowViewSet, basename="cash-flow")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("feedback", views.FeedbackViewSet, basename="feedback")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("households", views.HouseholdViewSet, basename="household")

urlpatterns = router.urls
