"""The demo persons, shared by the demo data and the development identity provider."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPerson:
    personal_code: str
    given_name: str
    family_name: str
    description: str  # shown on the development provider's login page (English)


DEMO_PERSONS: tuple[DemoPerson, ...] = (
    DemoPerson("48001010217", "Mari", "Maasikas", "private customer, one house, one meter"),
    DemoPerson("37502020230", "Jaan", "Tamm", "private customer, main meter and garden sub-meter"),
    DemoPerson("49003030341", "Kati", "Kask", "board member of Kodu Haldus OÜ (mass view)"),
    DemoPerson("38504040452", "Peeter", "Paju", "user at one Kodu Haldus site"),
    DemoPerson("47005050568", "Liis", "Lepp", "staff: clerk"),
    DemoPerson("36806060677", "Toomas", "Tuul", "staff: inspector"),
    DemoPerson("49507070785", "Anne", "Allikas", "staff: admin"),
    DemoPerson("47208080805", "Kadri", "Kuusk", "town council member: the what-if report"),
)
