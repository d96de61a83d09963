"""Parley's URLs plus ``/bench/plain``: a plain Django JSON view (sync, no database, no auth,
the same middleware), the yardstick of bench/http_bench.py."""

from django.http import JsonResponse
from django.urls import path

from portal.urls import urlpatterns as parley_urlpatterns

ROWS = [{"id": f"{n:024x}", "title": f"Meeting {n}", "transcriptEnabled": False} for n in range(20)]


def plain(request):
    return JsonResponse({"success": True, "data": ROWS})


urlpatterns = [path("bench/plain", plain), *parley_urlpatterns]
