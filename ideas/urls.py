from django.urls import path

from ideas import views

app_name = "ideas"
urlpatterns = [
    # The board
    path("ideas/", views.board, name="board"),
    path("ideas/c/<slug:slug>/", views.category_board, name="category_board"),
    path("ideas/c/<slug:slug>/settings/", views.category_settings, name="category_settings"),
    path("ideas/new/", views.idea_new, name="idea_new"),
    path("ideas/similar/", views.similar, name="similar"),
    path("ideas/export.csv", views.ideas_export, name="export"),
    # One idea
    path("ideas/<int:idea_id>/", views.idea_detail, name="idea"),
    path("ideas/<int:idea_id>/vote/", views.idea_vote, name="vote"),
    path("ideas/<int:idea_id>/status/", views.idea_status, name="status"),
    path("ideas/<int:idea_id>/merge/", views.idea_merge, name="merge"),
    path("ideas/<int:idea_id>/insight/", views.idea_insight, name="insight"),
    path("ideas/<int:idea_id>/supports/review/", views.idea_supports_review, name="review"),
    # Roadmap and changelog
    path("roadmap/", views.roadmap, name="roadmap"),
    path("changelog/", views.changelog, name="changelog"),
    # Challenges
    path("challenges/", views.challenges, name="challenges"),
    path("challenges/new/", views.challenge_new, name="challenge_new"),
    path("challenges/<int:challenge_id>/", views.challenge_detail, name="challenge"),
    path("challenges/<int:challenge_id>/phase/", views.challenge_phase, name="challenge_phase"),
    path(
        "challenges/<int:challenge_id>/entries/<int:idea_id>/shortlist/",
        views.challenge_shortlist,
        name="challenge_shortlist",
    ),
    path("challenges/<int:challenge_id>/winner/", views.challenge_winner, name="challenge_winner"),
]
