"""Drive the admin's django-import-export import and export as a browser would."""

from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from import_export.formats.base_formats import CSV


def admin_url(model, view, *args):
    info = f"{model._meta.app_label}_{model._meta.model_name}"
    return reverse(f"admin:{info}_{view}", args=args)


def has_import_url(model) -> bool:
    try:
        admin_url(model, "import")
    except NoReverseMatch:
        return False
    return True


def upload_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")


def _csv_index(formats) -> str:
    return str(list(formats).index(CSV))


def admin_import(client, model, csv_text: str):
    """The two POSTs of an admin import (upload, then confirm).

    Returns the responses: (upload, confirm) — confirm is None when the upload was
    refused or its dry run showed errors.
    """
    model_admin = admin.site._registry[model]
    upload = client.post(
        admin_url(model, "import"),
        {
            "resource": "0",
            "format": _csv_index(model_admin.get_import_formats()),
            "import_file": upload_file(csv_text),
        },
    )
    context = getattr(upload, "context", None)
    if upload.status_code != 200 or not context or not context.get("confirm_form"):
        return upload, None
    confirm = client.post(
        admin_url(model, "process_import"), dict(context["confirm_form"].initial)
    )
    return upload, confirm


def admin_export(client, model) -> tuple[int, str]:
    """POST the export form with every column ticked; (status, CSV text)."""
    model_admin = admin.site._registry[model]
    url = admin_url(model, "export")
    page = client.get(url)
    if page.status_code != 200:
        return page.status_code, ""
    form = page.context["form"]
    data = {"resource": "0", "format": _csv_index(model_admin.get_export_formats())}
    for name, field in form.fields.items():
        if getattr(field, "is_selectable_field", False):
            data[name] = "on"
    response = client.post(url, data)
    body = b"".join(response) if response.streaming else response.content
    return response.status_code, body.decode("utf-8-sig", errors="replace")


def _field_data(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
            continue
        if hasattr(field, "widget") and hasattr(field.widget, "widgets"):
            # a split field (date and time): its decompressed parts
            parts = field.widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
            continue
        data[bound.html_name] = str(value)
    return data


def form_data(response) -> dict:
    """What a browser would POST back from an admin add/change page, unchanged."""
    context = response.context
    data = _field_data(context["adminform"].form)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management[name].html_name] = str(management[name].value() or 0)
        for form in formset.forms:
            data.update(_field_data(form))
    return data
