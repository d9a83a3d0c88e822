from django.urls import path

from community import views

app_name = "community"
urlpatterns = [
    # Topic lists
    path("", views.home, name="home"),
    path("latest/", views.latest, name="latest"),
    path("new/", views.new, name="new"),
    path("top/", views.top, name="top"),
    path("hot/", views.hot, name="hot"),
    path("unanswered/", views.unanswered, name="unanswered"),
    path("my/topics/", views.my_topics, name="my_topics"),
    path("categories/", views.category_index, name="categories"),
    path("c/<slug:slug>/", views.category_detail, name="category"),
    path("c/<slug:slug>/follow/", views.category_follow, name="category_follow"),
    path("tags/", views.tag_index, name="tags"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
    # Topics
    path("new-topic/", views.topic_new, name="topic_new"),
    path("t/<int:topic_id>/", views.topic_redirect, name="topic_short"),
    path("t/<int:topic_id>-<slug:slug>/", views.topic_detail, name="topic"),
    path("t/<int:topic_id>/<int:number>/", views.topic_post_number, name="topic_post_number"),
    path("t/<int:topic_id>/reply/", views.topic_reply, name="topic_reply"),
    path("t/<int:topic_id>/follow/", views.topic_follow, name="topic_follow"),
    path("t/<int:topic_id>/unaccept/", views.answer_unaccept, name="answer_unaccept"),
    path("t/<int:topic_id>/moderate/", views.topic_moderate, name="topic_moderate"),
    path("t/<int:topic_id>/move/", views.topic_move, name="topic_move"),
    # Posts
    path("p/<int:post_id>/", views.post_permalink, name="post_permalink"),
    path("p/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:post_id>/history/", views.post_history, name="post_history"),
    path("p/<int:post_id>/quote/", views.post_quote, name="post_quote"),
    path("p/<int:post_id>/vote/", views.post_vote, name="post_vote"),
    path("p/<int:post_id>/accept/", views.answer_accept, name="answer_accept"),
    path("p/<int:post_id>/delete/", views.post_delete, name="post_delete"),
    # Composer and search
    path("preview/", views.preview, name="preview"),
    path("search/", views.search_page, name="search"),
]
