"""Models of the churn app."""
