import time, json
def test_smoke(open_app):
    t=time.time()
    duo = open_app("/")
    time.sleep(3)
    print("STRIP", repr(duo.find_element("#nm-ticker-strip").text))
    print("NOTE", repr(duo.find_element("#nm-chart-note").text))
    print("COUNT", repr(duo.find_element("#nm-headlines-count").text))
    print("LOGS", duo.get_logs())
    print("URL", duo.driver.current_url)
    print("INSTR", duo.find_element("#nm-instruments").text)
    print(time.time()-t)
    duo.driver.save_screenshot("/tmp/bt/smoke.png")
    assert 0
