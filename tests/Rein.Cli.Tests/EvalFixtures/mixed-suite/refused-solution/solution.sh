curl -s http://127.0.0.1:9/ -o page.html
