"""Groups of sites for the mass view (ITB 1.2): a person names groups of the sites
they send readings for and filters the list by one. Each person's groups are their
own; a site they no longer have access to drops out of every group's view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.domain.permissions import Actor
from webapp.extensions import db
from webapp.models import SiteGroup, SiteGroupMember
from webapp.services.readings import reading_site_ids

NAME_MAX = 80


class GroupRefused(Exception):
    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class GroupView:
    id: int
    name: str
    site_ids: frozenset[int]  # only the sites the person still has access to


def my_groups(actor: Actor) -> list[GroupView]:
    """The person's groups, each with the sites they still have access to."""
    allowed = set(reading_site_ids(actor))
    groups = db.session.scalars(
        select(SiteGroup).where(SiteGroup.person_id == actor.person_id)
        .options(selectinload(SiteGroup.members)).order_by(SiteGroup.name, SiteGroup.id)
    ).all()
    return [GroupView(g.id, g.name, frozenset(m.site_id for m in g.members
                                              if m.site_id in allowed)) for g in groups]


def group_or_404(actor: Actor, group_id: int) -> SiteGroup:
    """One of the person's own groups; anybody else's is 404."""
    group = db.session.get(SiteGroup, group_id)
    if group is None or group.person_id != actor.person_id:
        abort(404)
    return group


def group_sites(actor: Actor, group_id: int) -> frozenset[int]:
    """The sites of one of the person's groups they still have access to; else 404."""
    group = group_or_404(actor, group_id)
    allowed = set(reading_site_ids(actor))
    return frozenset(member.site_id for member in group.members if member.site_id in allowed)


def _check_name(actor: Actor, name: str, keep: SiteGroup | None = None) -> None:
    clash = db.session.scalar(
        select(SiteGroup.id).where(SiteGroup.person_id == actor.person_id,
                                   SiteGroup.name == name)
    )
    if clash is not None and (keep is None or clash != keep.id):
        raise GroupRefused(_l("You already have a group called “%(name)s”.", name=name))


def _check_sites(actor: Actor, site_ids: Sequence[int]) -> None:
    if not set(site_ids) <= set(reading_site_ids(actor)):
        abort(404)  # a site of somebody else's, sent by hand


def create_group(actor: Actor, name: str, site_ids: Sequence[int]) -> SiteGroup:
    _check_name(actor, name)
    _check_sites(actor, site_ids)
    group = SiteGroup(person_id=actor.person_id, name=name,
                      members=[SiteGroupMember(site_id=site) for site in sorted(set(site_ids))])
    db.session.add(group)
    db.session.flush()
    return group


def change_group(actor: Actor, group: SiteGroup, name: str, site_ids: Sequence[int]) -> None:
    """Rename the group and set its sites; sites the person has lost access to stay
    in it, out of sight, should the access come back."""
    _check_name(actor, name, keep=group)
    _check_sites(actor, site_ids)
    allowed = set(reading_site_ids(actor))
    wanted = set(site_ids)
    group.name = name
    for member in list(group.members):
        if member.site_id in allowed and member.site_id not in wanted:
            group.members.remove(member)
    present = {member.site_id for member in group.members}
    group.members.extend(SiteGroupMember(site_id=site) for site in sorted(wanted - present))
    db.session.flush()


def delete_group(group: SiteGroup) -> None:
    db.session.delete(group)
    db.session.flush()
