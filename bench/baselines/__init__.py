"""What Podgate is compared with: a Python reverse proxy and Trio2o's sequential list fan-out."""
