"""Language choice: French first, English on request; the choice sticks in the session."""

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work speak the network's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def register_i18n(app: Flask) -> None:
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())

    @app.before_request
    def remember_language() -> None:
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang
