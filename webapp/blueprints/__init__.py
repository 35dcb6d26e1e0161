"""Blueprint registry."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from webapp.blueprints.account.routes import bp as account_bp
    from webapp.blueprints.acts.routes import bp as acts_bp
    from webapp.blueprints.admin.routes import bp as admin_bp
    from webapp.blueprints.api.docs import bp as api_docs_bp
    from webapp.blueprints.api.routes import bp as api_bp
    from webapp.blueprints.apikeys.routes import bp as apikeys_bp
    from webapp.blueprints.auth.routes import bp as auth_bp
    from webapp.blueprints.authorisations.routes import bp as authorisations_bp
    from webapp.blueprints.billing_runs.routes import bp as billing_runs_bp
    from webapp.blueprints.claims.routes import bp as claims_bp
    from webapp.blueprints.contract_review.routes import bp as contract_review_bp
    from webapp.blueprints.contracts.routes import bp as contracts_bp
    from webapp.blueprints.council.routes import bp as council_bp
    from webapp.blueprints.groups.routes import bp as groups_bp
    from webapp.blueprints.invoices.routes import bp as invoices_bp
    from webapp.blueprints.main.routes import bp as main_bp
    from webapp.blueprints.payments.routes import bp as payments_bp
    from webapp.blueprints.readings.routes import bp as readings_bp
    from webapp.blueprints.rebate_review.routes import bp as rebate_review_bp
    from webapp.blueprints.rebates.routes import bp as rebates_bp
    from webapp.blueprints.rules.routes import bp as rules_bp
    from webapp.blueprints.staff.routes import bp as staff_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(authorisations_bp)
    app.register_blueprint(readings_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(rebates_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(rebate_review_bp)
    app.register_blueprint(contracts_bp)
    app.register_blueprint(contract_review_bp)
    app.register_blueprint(invoices_bp)
    app.register_blueprint(claims_bp)
    app.register_blueprint(billing_runs_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(acts_bp)
    app.register_blueprint(rules_bp)
    app.register_blueprint(council_bp)
    if app.config.get("DEV_OUTBOX"):
        from webapp.blueprints.outbox.routes import bp as outbox_bp

        app.register_blueprint(outbox_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_docs_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(apikeys_bp)
