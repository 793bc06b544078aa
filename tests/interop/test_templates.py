"""Templates: get one, get a version, list them (all and by type), preview with personalisation."""

from __future__ import annotations

import uuid

import pytest
from notifications_python_client.errors import HTTPError

from harness.notify import TEMPLATE_KEYS, assert_notify_error, fill, parse_time, personalisation_for

KINDS = ("email", "sms", "letter")


@pytest.mark.parametrize("kind", KINDS)
def test_get_template(live, demo, kind):
    template = live.get_template(demo["templates"][kind])
    assert TEMPLATE_KEYS <= set(template)
    assert template["id"] == demo["templates"][kind]
    assert template["type"] == kind
    assert isinstance(template["name"], str) and template["name"]
    assert isinstance(template["version"], int) and template["version"] >= 1
    assert isinstance(template["created_by"], str)
    parse_time(template["created_at"])
    if kind == "sms":
        assert template["subject"] is None
        assert template["body"] == "Demoland Tax Office: ((name)), your code is ((code))."
    else:
        assert template["subject"] == "Your tax return ((reference))"
        assert "Dear ((name))," in template["body"]
    if kind == "email":
        assert "Reference: ((reference))" in template["body"]


def test_get_template_version(live, templates):
    latest = templates["email"]
    same = live.get_template_version(latest["id"], latest["version"])
    assert TEMPLATE_KEYS <= set(same)
    assert (same["id"], same["version"], same["body"], same["subject"]) == (
        latest["id"], latest["version"], latest["body"], latest["subject"],
    )  # fmt: skip

    with pytest.raises(HTTPError) as missing:
        live.get_template_version(latest["id"], latest["version"] + 100)
    assert_notify_error(missing.value, 404, "NoResultFound", "No result found")


def test_get_all_templates(live, demo):
    everything = live.get_all_templates()
    assert set(everything) == {"templates"}
    by_id = {t["id"]: t for t in everything["templates"]}
    for kind in KINDS:
        assert by_id[demo["templates"][kind]]["type"] == kind
    for template in everything["templates"]:
        assert TEMPLATE_KEYS <= set(template)

    for kind in KINDS:
        some = live.get_all_templates(template_type=kind)["templates"]
        assert {t["type"] for t in some} == {kind}
        assert demo["templates"][kind] in {t["id"] for t in some}


def test_preview_email_has_html(live, templates):
    template = templates["email"]
    values = personalisation_for(template, name="Ada Lovelace", reference="TR-9")
    preview = live.post_template_preview(template["id"], personalisation=values)
    assert {"id", "type", "version", "body", "subject", "html"} <= set(preview)
    assert preview["id"] == template["id"]
    assert preview["type"] == "email"
    assert preview["version"] == template["version"]
    assert preview["subject"] == "Your tax return TR-9"
    assert preview["body"].strip() == fill(template["body"], values).strip()
    assert "Dear Ada Lovelace," in preview["body"]
    assert isinstance(preview["html"], str) and "Ada Lovelace" in preview["html"]
    assert "((" not in preview["html"]


def test_preview_sms(live, templates):
    template = templates["sms"]
    preview = live.post_template_preview(
        template["id"], personalisation=personalisation_for(template, name="Ada", code="271828")
    )
    assert preview["type"] == "sms"
    assert preview["subject"] is None
    assert preview["body"].startswith("Demoland Tax Office: Ada, your code is 271828.")


def test_preview_with_missing_personalisation(live, templates):
    with pytest.raises(HTTPError) as error:
        live.post_template_preview(templates["sms"]["id"], personalisation={"name": "Ada"})
    assert_notify_error(error.value, 400, "BadRequestError", "Missing personalisation: code")


def test_unknown_template(live):
    with pytest.raises(HTTPError) as error:
        live.get_template(str(uuid.uuid4()))
    assert_notify_error(error.value, 404, "NoResultFound", "No result found")
