"""Errors are clear pages for people and stable JSON under /api/, never a bare 500."""


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
    assert response.get_json()["error"]["reason"] == "not_found"


def test_wrong_method(client):
    response = client.delete("/auth/sign-in")
    assert response.status_code == 405


def test_too_large_upload_is_a_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/auth/sign-out", data={"x": "y" * 4096})
    assert response.status_code == 413


def test_vendor_files_only_from_the_allow_list(client):
    assert client.get("/vendor/pico.min.css").status_code == 200
    assert client.get("/vendor/..%2Fpackage.json").status_code == 404
    assert client.get("/vendor/package.json").status_code == 404


def test_language_switch_sticks(client):
    client.get("/auth/sign-in?lang=en")
    assert '<html lang="en">' in client.get("/auth/sign-in").get_data(as_text=True)
    client.get("/auth/sign-in?lang=fr")
    assert '<html lang="fr">' in client.get("/auth/sign-in").get_data(as_text=True)


def test_french_is_the_default(client):
    assert '<html lang="fr">' in client.get("/auth/sign-in").get_data(as_text=True)


def test_error_pages_speak_the_page_language(client):
    french = client.get("/no/such/page").get_data(as_text=True)
    assert "Cette page n&#39;existe pas" in french
    assert "The requested URL" not in french
    client.get("/auth/sign-in?lang=en")
    english = client.get("/no/such/page").get_data(as_text=True)
    assert "This page does not exist" in english
