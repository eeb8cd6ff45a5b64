def test_out():
    assert open("out.txt").read().strip() == "done"
