"""Site settings for admins: the widget's look and words, allowed origins, live preview."""
