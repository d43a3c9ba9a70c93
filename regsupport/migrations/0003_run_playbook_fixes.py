from django.db import migrations

CODENAME = "run_playbook_fixes"
NAME = "Can run support playbook fixes"


def move_permission(apps, *, source: tuple[str, str], target: tuple[str, str]) -> None:
    """Move the permission row to another content type, so every group and user that held
    it keeps it; if both rows exist, the grants are merged into the target's."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old = Permission.objects.filter(
        content_type__app_label=source[0], content_type__model=source[1], codename=CODENAME
    ).first()
    if old is None:
        return
    content_type, _ = ContentType.objects.get_or_create(app_label=target[0], model=target[1])
    new = Permission.objects.filter(content_type=content_type, codename=CODENAME).first()
    if new is None:
        old.content_type = content_type
        old.save(update_fields=["content_type"])
        return
    for group in old.group_set.all():
        group.permissions.add(new)
    for user in old.user_set.all():
        user.user_permissions.add(new)
    old.delete()


def forwards(apps, schema_editor):
    move_permission(apps, source=("trainees", "trainee"), target=("regsupport", "console"))


def backwards(apps, schema_editor):
    move_permission(apps, source=("regsupport", "console"), target=("trainees", "trainee"))


class Migration(migrations.Migration):
    """The console-wide fix permission belongs to the console, not to the trainee model:
    providers and DQT fixes check it too."""

    dependencies = [
        ("regsupport", "0002_roles"),
        ("trainees", "0003_playbook_permission_moves_to_regsupport"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [
        migrations.AlterModelOptions(
            name="console",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_settings", "Can view settings and feature flags"),
                    (CODENAME, NAME),
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
