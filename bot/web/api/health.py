from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness for the launcher and load balancers; needs no token."""
    return {"status": "ok"}
