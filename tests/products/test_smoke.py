def test_product_page_renders(alice_client, product):
    response = alice_client.get(product.get_absolute_url())
    assert response.status_code == 200
    assert b"Fraud score" in response.content
