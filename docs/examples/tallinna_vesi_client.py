"""A small client in the dialect of Tallinna Vesi's API, as its customers write them:
only the base URL differs. Standard library only.

    python docs/examples/tallinna_vesi_client.py BASE_URL API_KEY [--send]

Lists the meters and their latest readings, reads the last day of each smart meter's
intervals, and with --send submits each mechanical meter's latest reading plus one
litre. Prints what it did as one JSON document.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class Client:
    def __init__(self, base_url: str, api_key: str) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in {"http", "https"}:
            raise ValueError(f"not an http(s) address: {base_url}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key

    def _call(self, method: str, path: str, body: Any = None,
              headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.base_url + path, data=data, method=method)
        request.add_header("X-API-Key", self.api_key)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def readings(self) -> list[dict[str, Any]]:
        status, body = self._call("GET", "/api/Readings")
        _expect(status, body)
        return body["results"]

    def submit(self, readings: list[dict[str, Any]], idempotency_key: str) -> list[dict]:
        status, body = self._call("POST", "/api/Readings", {"readings": readings},
                                  {"Idempotency-Key": idempotency_key})
        _expect(status, body)
        return body["results"]

    def supply_points(self) -> list[dict[str, str]]:
        status, body = self._call("GET", "/api/SmartMeter/GetSupplyPointsWithSmartMeter")
        _expect(status, body)
        return body

    def smart_readings(self, meter_nr: str, page_size: int = 24) -> dict[str, Any]:
        query = urllib.parse.urlencode({"meterNr": meter_nr, "pageNo": 1,
                                        "pageSize": page_size, "orderBy": "ReadingDate DESC"})
        status, body = self._call("GET", f"/api/SmartMeter/GetSmartMeterReadings?{query}")
        _expect(status, body)
        return body


def _expect(status: int, body: Any) -> None:
    if status != 200:
        raise RuntimeError(f"the API answered {status}: {body}")


def main(argv: list[str]) -> int:
    base_url, api_key = argv[1], argv[2]
    client = Client(base_url, api_key)
    meters = client.readings()
    report: dict[str, Any] = {"meters": meters, "smart": {}}
    for point in client.supply_points():
        report["smart"][point["meterNr"]] = client.smart_readings(point["meterNr"])
    if "--send" in argv:
        new = [{"meterNumber": m["meterNr"], "newReading": round(m["lastReading"] + 0.001, 3),
                "submitWithWarnings": False}
               for m in meters if m["meterType"] == "Mechanical" and m["lastReading"] is not None]
        report["sent"] = new
        report["results"] = client.submit(new, idempotency_key="example-client-run")
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
