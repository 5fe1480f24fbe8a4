"""A product's CI tokens: listed, created and revoked by its owners and team
members. The tokens themselves, and their serializers, are accounts'."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts import selectors as account_selectors
from tracker.accounts import services as account_services
from tracker.accounts.api import TokenCreatedOut, TokenIn, TokenOut, token_created
from tracker.accounts.models import ApiToken
from tracker.lib.api import ApiView
from tracker.products.selectors import product_get_for_user, token_list_for_product


class CITokenListView(ApiView):
    """A product's CI tokens: for its owners and team members only."""

    queryset = ApiToken.objects.none()

    @extend_schema(responses=TokenOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        return self.paginated(TokenOut, token_list_for_product(product=product))

    @extend_schema(request=TokenIn, responses={201: TokenCreatedOut})
    def post(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        data = self.validated(TokenIn)
        token, raw = account_services.token_create(
            user=request.user,
            name=data["name"],
            product=product,
            expires_at=data.get("expires_at"),
        )
        return token_created(self, token, raw)


class CITokenDetailView(ApiView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        tokens = token_list_for_product(product=product)
        token = account_selectors.token_get(tokens=tokens, pk=pk)
        account_services.token_revoke(token=token)
        return Response(status=204)
