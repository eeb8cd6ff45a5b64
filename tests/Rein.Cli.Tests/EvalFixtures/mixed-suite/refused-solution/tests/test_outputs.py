def test_page():
    pass
