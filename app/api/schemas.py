"""Marshmallow schemas shared by more than one API module."""

from __future__ import annotations

from marshmallow import Schema, fields


class AccountSchema(Schema):
    account_id = fields.Integer(required=True)
    balance_minutes = fields.Integer(required=True)
    min_balance_minutes = fields.Integer(allow_none=True, required=True)
    max_balance_minutes = fields.Integer(allow_none=True, required=True)


def account_body(account) -> dict:
    from ..timebank.services import limits_for

    limits = limits_for(account)
    return {
        "account_id": account.id,
        "balance_minutes": account.balance_minutes,
        "min_balance_minutes": limits.min_minutes,
        "max_balance_minutes": limits.max_minutes,
    }
