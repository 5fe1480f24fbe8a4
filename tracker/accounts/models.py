from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property


class User(AbstractUser):
    """A person: PM/business stakeholder, ML person, engineer, or leadership.

    A custom model from the first migration so profile fields can be added later
    without the pain of swapping AUTH_USER_MODEL on a live database.
    """

    # What naming a person reads (display_name, picker_label): a list that
    # shows people reads only these.
    NAME_FIELDS = ("username", "first_name", "last_name")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def picker_label(self) -> str:
        """How pickers and choice fields name a person: both names and the username."""
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class Visibility(models.TextChoices):
    """Who may read a team's products and everything under them (docs/access.md)."""

    ORGANISATION = "organisation", "Organisation"
    PRIVATE = "private", "Private"


class Team(models.Model):
    """A group of people; every product belongs to exactly one team.

    `visibility` decides who reads the team's products: everyone signed in
    (organisation), or only its members, each product's three owners, staff and
    superusers (private). tracker.products.selectors holds the rule.
    """

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=20,
        choices=Visibility,
        default=Visibility.ORGANISATION,
        help_text="Organisation: every signed-in person may read the team's "
        "products. Private: only its members, each product's owners and staff.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="teams",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visibility__in=Visibility.values),
                name="team_visibility_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:team_detail", args=[self.slug])

    @property
    def picker_label(self) -> str:
        return self.name

    @property
    def is_private(self) -> bool:
        return self.visibility == Visibility.PRIVATE


class Role(models.TextChoices):
    """A member's role: leads (and staff) manage the team's membership."""

    LEAD = "lead", "Lead"
    MEMBER = "member", "Member"


class Membership(models.Model):
    """A person's membership of a team; members may edit the team's products,
    leads also add and remove members and set their roles."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class TokenKind(models.TextChoices):
    PERSON = "person", "Person"
    CI = "ci", "Product CI"


class ApiToken(models.Model):
    """A bearer token for the REST API, for a person or for one product's CI.

    The secret is shown once and stored only as a keyed hash (accounts.tokens); the
    `lookup` part is not secret and finds the row, the hash is then compared in
    constant time. A CI token may only report to its product (tracker.lib.api).
    """

    kind = models.CharField(max_length=10, choices=TokenKind)
    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    # The person a person token acts as; for a CI token, who created it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    product = models.ForeignKey(
        "products.Product",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ci_tokens",
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind=TokenKind.PERSON, product__isnull=True)
                    | models.Q(kind=TokenKind.CI, product__isnull=False)
                ),
                name="apitoken_ci_tokens_have_a_product",
            ),
        ]
        # `lookup` is unique, hence indexed: every API request finds its token by it
        # (accounts.authentication). Listing a product's CI tokens uses the FK index.

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, trk_{self.lookup}…)"

    @property
    def is_ci(self) -> bool:
        return self.kind == TokenKind.CI


class CIPrincipal:
    """Who a product CI token acts as (request.user in the API): not a person and
    no team's member. It may act on its product only: the products selectors and
    the API's default permission (tracker.lib.api) check that."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, token: ApiToken) -> None:
        self.token = token

    @property
    def product_id(self) -> int:
        return self.token.product_id

    @cached_property
    def username(self) -> str:
        return f"ci:{self.token.product.slug}"

    def __str__(self) -> str:
        return f"CI token {self.token.name!r} of {self.token.product.slug}"


class LoginAttemptCounter(models.Model):
    """Sign-in attempts counted per key in fixed time windows (accounts.login_throttle).

    A key is a keyed hash of a normalised username or of a client address, so the
    table holds neither (a password typed into the username box stays unreadable).
    The count is raised by one atomic upsert, so it is exact across processes.
    """

    key = models.CharField(max_length=72)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # The upsert's conflict target (login_throttle.login_attempt_start).
            models.UniqueConstraint(
                fields=["key", "window_start"], name="login_attempt_counter_unique"
            ),
        ]
        indexes = [
            # Purging old windows (login_throttle.login_counters_purge).
            models.Index(fields=["window_start"], name="login_attempt_window_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key[:12]}… × {self.count} from {self.window_start:%H:%M}"
