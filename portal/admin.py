"""Admin: superusers manage tenants, domains and everything; tenant staff (``is_staff``
with a tenant) see and edit only their own tenant's rows — in lists, search,
autocomplete, change views and foreign-key choices."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from portal.accounts.models import User
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


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "created_at"]
    search_fields = ["name", "slug", "domains__host"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DomainInline]


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

