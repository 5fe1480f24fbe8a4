"""Store alert integrations' HMAC signing keys encrypted (tracker.lib.crypto)."""

from django.db import migrations, models

import tracker.lib.crypto

SALT = "tracker.incidents.AlertIntegration.hmac_secret"
HELP = "Optional: the shared secret of Grafana's HMAC signature setting."


def _recode(apps, convert) -> None:
    AlertIntegration = apps.get_model("incidents", "AlertIntegration")
    rows = AlertIntegration.objects.exclude(hmac_secret="")
    for pk, value in rows.values_list("pk", "hmac_secret"):
        AlertIntegration.objects.filter(pk=pk).update(hmac_secret=convert(value))


def encrypt(apps, schema_editor) -> None:
    _recode(apps, lambda value: tracker.lib.crypto.encrypt(SALT, value))


def decrypt(apps, schema_editor) -> None:
    _recode(apps, lambda value: tracker.lib.crypto.decrypt(SALT, value))


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
    ]

    operations = [
        # Room for the ciphertext, still in the clear; then encrypt; then the
        # field that reads and writes it.
        migrations.AlterField(
            model_name="alertintegration",
            name="hmac_secret",
            field=models.TextField(blank=True, verbose_name="HMAC secret"),
        ),
        migrations.RunPython(encrypt, decrypt),
        migrations.AlterField(
            model_name="alertintegration",
            name="hmac_secret",
            field=tracker.lib.crypto.EncryptedTextField(
                blank=True,
                help_text=HELP,
                max_length=200,
                salt=SALT,
                verbose_name="HMAC secret",
            ),
        ),
    ]
