<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
<context>
    <name>AddDialog</name>
    <message numerus="yes">
        <location filename="../../gui/add_dialog.py" line="207" />
        <source>Found %n link(s):</source>
        <translation><numerusform>Found %n link:</numerusform><numerusform>Found %n links:</numerusform></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <location filename="../../gui/main_window.py" line="516" />
        <source>Remove %n download(s) and delete their files from disk?</source>
        <translation><numerusform>Remove %n download and delete its file from disk?</numerusform><numerusform>Remove %n downloads and delete their files from disk?</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../gui/main_window.py" line="683" />
        <source>Added %n download(s)</source>
        <translation><numerusform>Added %n download</numerusform><numerusform>Added %n downloads</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../gui/main_window.py" line="762" />
        <source>(+%n more)</source>
        <translation><numerusform>(+%n more)</numerusform><numerusform>(+%n more)</numerusform></translation>
    </message>
</context>
</TS>