"""Admin: superusers manage tenants, domains, plans and everything; tenant staff (``is_staff``
with a tenant) see and edit only their own tenant's rows — in lists, search,
autocomplete, change views and foreign-key choices — and see their tenant's plan, usage
and history read-only while editing its branding."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string

from portal.accounts.models import User
from portal.plans.catalogue import PLANS
from portal.plans.models import PlanChange
from portal.plans.selectors import usage_report
from portal.plans.services import tenant_plan_set
from portal.tenancy import Domain, Tenant


def is_tenant_staff(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and not user.is_superuser and user.tenant_id is not None


class TenantScopedAdmin(admin.ModelAdmin):
    """Base admin of every tenant-owned model.

    Tenant staff may view, add, change and delete their own tenant's rows (on their
    tenant's host only, as sessions are tenant-bound); the ``tenant`` column is set for
    them and hidden from them.
    """

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.for_tenant(request.user.tenant) if is_tenant_staff(request) else qs.none()

    def _tenant_staff_may(self, request) -> bool:
        return request.user.is_superuser or is_tenant_staff(request)

    def has_module_permission(self, request):
        return self._tenant_staff_may(request)

    def has_view_permission(self, request, obj=None):
        return self._tenant_staff_may(request) and self._owns(request, obj)

    def has_add_permission(self, request):
        return self._tenant_staff_may(request)

    def has_change_permission(self, request, obj=None):
        return self._tenant_staff_may(request) and self._owns(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._tenant_staff_may(request) and self._owns(request, obj)

    def _owns(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return obj.tenant_id == request.user.tenant_id

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            exclude.append("tenant")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not request.user.is_superuser:
            filters = [f for f in filters if f != "tenant"]
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        self._limit_choices(field, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        self._limit_choices(field, request)
        return field

    def _limit_choices(self, field, request):
        if field is None or request.user.is_superuser:
            return
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "for_tenant"):
            field.queryset = queryset.for_tenant(request.user.tenant)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if request.user.is_superuser:
            return form
        tenant = request.user.tenant

        class TenantStampedForm(form):
            """Stamps the staff member's tenant before validation, so per-tenant unique
            constraints are checked (a 409-worthy duplicate is a form error, not a 500)."""

            def _post_clean(self):
                self.instance.tenant = tenant
                super()._post_clean()

            def _get_validation_exclusions(self):
                exclusions = super()._get_validation_exclusions()
                exclusions.discard("tenant")
                return exclusions

        return TenantStampedForm

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.tenant = request.user.tenant
        super().save_model(request, obj, form, change)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 1


class PlanChangeInline(admin.TabularInline):
    """The plan's history, read-only for everyone: it is written by ``tenant_plan_set`` only."""

    model = PlanChange
    fields = ["changed_at", "from_plan", "to_plan", "changed_by_label", "via", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Plan history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or is_tenant_staff(request)


LIMIT_FIELDS = ["limit_max_participants", "limit_recording_minutes", "limit_storage_bytes"]
BRANDING_FIELDS = ["brand_name", "logo", "accent_color"]


class TenantAdminForm(forms.ModelForm):
    plan_note = forms.CharField(
        label="Note for the plan history", required=False, max_length=200,
        help_text="Why the plan changes (kept with the change).",
    )

    class Meta:
        model = Tenant
        fields = ["name", "slug", "is_active", "plan", *LIMIT_FIELDS, *BRANDING_FIELDS]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    """Superusers manage every tenant. Tenant staff see their own tenant only: its plan, limits,
    usage and plan history read-only, its branding editable."""

    form = TenantAdminForm
    list_display = ["name", "slug", "plan", "is_active", "created_at"]
    list_filter = ["plan", "is_active"]
    search_fields = ["name", "slug", "domains__host"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["move_to_essential", "move_to_professional"]

    def get_fieldsets(self, request, obj=None):
        note = ["plan_note"] if request.user.is_superuser else []
        plan_fields = ["plan", *note, *LIMIT_FIELDS]
        return [
            (None, {"fields": ["name", "slug", "is_active"]}),
            ("Plan", {"fields": [*plan_fields, "usage"]}),
            ("Branding", {"fields": BRANDING_FIELDS}),
        ]

    def get_form(self, request, obj=None, **kwargs):
        if not request.user.is_superuser:
            kwargs["form"] = forms.ModelForm  # no plan note: staff do not change plans
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ["usage"]
        return ["name", "slug", "is_active", "plan", *LIMIT_FIELDS, "usage"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if request.user.is_superuser else {}

    def get_inlines(self, request, obj):
        if obj is None:
            return [DomainInline]
        return [DomainInline, PlanChangeInline] if request.user.is_superuser else [PlanChangeInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pk=request.user.tenant_id) if is_tenant_staff(request) else qs.none()

    def _own(self, request, obj) -> bool:
        if request.user.is_superuser:
            return True
        return is_tenant_staff(request) and (obj is None or obj.pk == request.user.tenant_id)

    def has_module_permission(self, request):
        return request.user.is_superuser or is_tenant_staff(request)

    def has_view_permission(self, request, obj=None):
        return self._own(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._own(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_set_plan_permission(self, request):
        return request.user.is_superuser

    @admin.display(description="Usage")
    def usage(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        report = usage_report(tenant=obj)
        return render_to_string("plans/_admin_usage.html", report)

    def save_model(self, request, obj, form, change):
        """The plan changes only through ``tenant_plan_set`` (history); the rest is saved
        without the plan column, so a concurrent plan change is never overwritten."""
        new_plan = obj.plan
        old_logo = Tenant.objects.filter(pk=obj.pk).values_list("logo", flat=True).first() if change else None
        if not change:
            super().save_model(request, obj, form, change)
        else:
            editable = BRANDING_FIELDS if not request.user.is_superuser else [
                f.name for f in Tenant._meta.concrete_fields if f.name not in ("id", "plan", "created_at")
            ]
            obj.save(update_fields=[*editable, "updated_at"])
            if request.user.is_superuser and "plan" in form.changed_data:
                tenant_plan_set(tenant=obj, plan=new_plan, actor=request.user, via=PlanChange.Via.ADMIN,
                                note=form.cleaned_data.get("plan_note", ""))
        if old_logo and old_logo != obj.logo.name:
            transaction.on_commit(lambda: default_storage.delete(old_logo))

    def _move(self, request, queryset, plan: str):
        moved = sum(
            1 for tenant in queryset
            if tenant_plan_set(tenant=tenant, plan=plan, actor=request.user, via=PlanChange.Via.ADMIN)
        )
        self.message_user(request, f"{moved} tenant(s) moved to {PLANS[plan].name}.")

    @admin.action(description="Move selected tenants to Essential", permissions=["set_plan"])
    def move_to_essential(self, request, queryset):
        self._move(request, queryset, "essential")

    @admin.action(description="Move selected tenants to Professional", permissions=["set_plan"])
    def move_to_professional(self, request, queryset):
        self._move(request, queryset, "professional")


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["host", "tenant", "is_primary"]
    search_fields = ["host", "tenant__name"]
    list_filter = ["tenant"]
    autocomplete_fields = ["tenant"]


class ParleyUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]


class ParleyUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(TenantScopedAdmin, DjangoUserAdmin):
    form = ParleyUserChangeForm
    add_form = ParleyUserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "tenant", "is_staff", "is_active"]
    list_filter = ["tenant", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["tenant", "email", "password"]}),
        ("Profile", {"fields": ["first_name", "last_name", "phone_number", "country"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["tenant", "email", "first_name", "last_name",
                                                 "password1", "password2"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Tenant staff never see the tenant column nor grant platform-level powers.
        hidden = {"tenant", "is_superuser", "groups", "user_permissions"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.is_superuser = False
        super().save_model(request, obj, form, change)

