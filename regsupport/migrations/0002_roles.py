from django.db import migrations

ROLES = ["Support agent", "Developer"]


def create_roles(apps, schema_editor):
    # Groups are created here; their permissions are (re)assigned after every migrate by
    # regsupport.roles.sync_role_permissions, because later apps add models.
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("regsupport", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("trainees", "0002_seed_withdrawal_reasons"),
        ("providers", "0001_initial"),
        ("dqt", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
