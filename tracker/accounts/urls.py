from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from tracker.accounts import oidc, views
from tracker.accounts.forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        views.SignInView.as_view(
            template_name="accounts/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (OpenID Connect): 404 unless OIDC_RP_CLIENT_ID is set.
    path("sso/", oidc.sso_start, name="sso_start"),
    path("sso/callback/", oidc.sso_callback, name="sso_callback"),
    # Django's views: the current password is asked for, the session key is
    # cycled, and the person's other sessions end (their auth hash changes).
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<slug:slug>/", views.team_detail, name="team_detail"),
    path("teams/<slug:slug>/members/", views.team_member_add, name="team_member_add"),
    path(
        "teams/<slug:slug>/members/<str:username>/remove/",
        views.team_member_remove,
        name="team_member_remove",
    ),
    path(
        "teams/<slug:slug>/visibility/",
        views.team_visibility,
        name="team_visibility",
    ),
]
