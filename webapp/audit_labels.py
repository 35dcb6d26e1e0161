"""Audit action codes and how they read to a person. Add a code here when you add one."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "view_customer_card": _l("opened the customer card"),
    "view_person_card": _l("opened the person's card"),
    "enter_reading": _l("entered a meter reading"),
    "correct_reading": _l("corrected a meter reading"),
    "add_representative": _l("added a representative"),
    "remove_representative": _l("removed a representative"),
    "grant_staff_role": _l("gave a staff role"),
    "revoke_staff_role": _l("removed a staff role"),
    "change_settings": _l("changed the utility's settings"),
    "add_price": _l("added a price"),
    "add_vat_rate": _l("added a VAT rate"),
    "search": _l("searched for customers"),
    "create_api_key": _l("made an API key"),
    "replace_api_key": _l("replaced an API key with a new one"),
    "revoke_api_key": _l("revoked an API key"),
    "change_api_key": _l("changed an API key's limits"),
    "apply_for_rebate": _l("applied for the garden-water rebate"),
    "withdraw_rebate_application": _l("withdrew a garden-water rebate application"),
    "confirm_joint_rebate_application": _l("confirmed a joint garden-water rebate application"),
    "view_rebate_application": _l("opened a garden-water rebate application"),
    "view_rebate_attachment": _l("opened the attachment of a rebate application"),
    "view_rebate_letter": _l("opened a garden-water rebate decision letter"),
    "approve_rebate_application": _l("approved a garden-water rebate application"),
    "refuse_rebate_application": _l("refused a garden-water rebate application"),
    "raise_rebate_cap": _l("raised the garden-water rebate cap"),
    "run_rebate_season": _l("computed a garden-water rebate season"),
    "make_invoice_claim": _l("made a claim about an invoice"),
    "view_invoice_claim": _l("opened a claim about an invoice"),
    "reject_invoice_claim": _l("rejected a claim about an invoice"),
    "accept_invoice_claim": _l("accepted a claim about an invoice and made a credit note"),
    "import_bank_statement": _l("imported a bank statement"),
    "view_customer_for_payment": _l("looked up a customer to match a payment"),
    "match_payment": _l("matched a payment to an invoice"),
    "prepay_payment": _l("booked a payment as a customer's prepayment"),
    "ignore_payment": _l("ignored a payment as not a customer's"),
}


def audit_action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def init_audit_labels(app: Flask) -> None:
    app.jinja_env.globals["audit_action_label"] = audit_action_label
